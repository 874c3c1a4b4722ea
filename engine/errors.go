package engine

import "errors"

var (
	// ErrNoSuchContainer: no container has that name, id or unique id prefix.
	ErrNoSuchContainer = errors.New("no such container")
	// ErrNameInUse: another container already has the name.
	ErrNameInUse = errors.New("name is already in use")
	// ErrCtrStateInvalid: the container is not in a state that allows the operation.
	ErrCtrStateInvalid = errors.New("container state improper")
	// ErrInvalidArg: an option value is malformed.
	ErrInvalidArg = errors.New("invalid argument")
	// ErrCommandNotFound: the container's command does not exist (exit 127).
	ErrCommandNotFound = errors.New("executable file not found")
	// ErrCommandNotExecutable: the container's command cannot be run (exit 126).
	ErrCommandNotExecutable = errors.New("permission denied")
	// ErrUnknownDescriptor: `top` was given a column name it does not know.
	ErrUnknownDescriptor = errors.New("unknown descriptor")
)
