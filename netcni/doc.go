// Package netcni wires container networks through CNI, with no daemon.
//
// Decisions as built:
//
//   - Configs: one CNI conflist per network in GRAPHROOT/engine/networks (so each
//     store, and each test's --root, has its own networks; root and rootless stores
//     never share). engine's record of the network (podman 4's `network inspect`
//     shape) rides in the conflist's args.engine.
//   - Volatile state lives under RUNROOT/engine/net (tmpfs: a reboot empties it, as
//     it empties every netns): host-local leases (ipam/), libcni's cache, one file
//     per container attached to a network (attach/NET/ID, holding its run dir) and
//     the lock that serialises all of it within a store.
//   - The default network "engine" is written on first use with the first free
//     engineN bridge and 10.89.N.0/24 (engine0, 10.89.0.0/24 normally; never
//     podman's cni-podman0/10.88.0.0/16). Bridge names and subnets are host-wide,
//     configs are per store: /run/engine/claims holds one claim per bridge, taken
//     under a host-wide flock; a claim whose conflist is gone is stale and free.
//   - Per container: a netns made by unshare(CLONE_NEWNET) on a throw-away locked
//     thread, bind-mounted at RUNDIR/netns, lo set up with netlink (no loopback
//     plugin exec); CNI ADD with bridge (isGateway, ipMasq, hairpin) + host-local +
//     portmap (only when ports are published) + firewall (only when the host's
//     FORWARD chain filters) + tuning (in the conflist, run only when it has work).
//     RUNDIR/network.json records the intent before each step and the exact conflist
//     each ADD ran, so Teardown (DEL, netns unmount, slirp4netns kill) works after a
//     crash at any point and twice in a row. The bridge is created up before ADD
//     (the plugin's own creation costs ~300 ms of waiting for the port) and removed
//     when its last container leaves, so an idle store leaves no interface.
//   - Name resolution: each container's /etc/hosts is its own part plus one line per
//     peer on its networks, rewritten in place (it is bind-mounted) by whichever
//     engine process attaches or detaches a container. No DNS daemon.
//   - Published ports are checked by binding them (then released): portmap forwards
//     with iptables, slirp4netns binds them itself. Random host ports for -P and
//     "-p 80" are picked at start.
//   - Rootless: slirp4netns per container, started detached (own session) with an
//     API socket for port forwarding, pid in network.json, killed by Teardown. CNI
//     networks need root (no rootless netns with bridges yet).
package netcni
