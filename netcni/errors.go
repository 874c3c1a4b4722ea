package netcni

import (
	"errors"
	"syscall"
)

var (
	// ErrNoSuchNetwork: no network has that name (podman's wording).
	ErrNoSuchNetwork = errors.New("network not found")
	// ErrNetworkExists: a network with that name exists already.
	ErrNetworkExists = errors.New("network already exists")
	// ErrInvalidArg: a malformed option value (name, subnet, port, address).
	ErrInvalidArg = errors.New("invalid argument")
	// ErrInUse: the network, subnet, or host port is used by something else.
	ErrInUse = errors.New("in use")
)

// errExist is netlink's EEXIST.
var errExist = syscall.EEXIST
