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
//     under a host-wide flock; a claim whose conflist is gone is stale and free
//     (allocation skips it; `network prune` removes it and its idle bridge).
//   - Per container: a netns made by unshare(CLONE_NEWNET) on a throw-away locked
//     thread, bind-mounted at RUNDIR/netns, lo set up with netlink (no loopback
//     plugin exec); CNI ADD with bridge (isGateway, hairpin; ipMasq only rootless,
//     see masquerade.go for root's one rule per network) + host-local +
//     portmap (only when ports are published) + firewall (only when the host's
//     FORWARD chain filters) + tuning (in the conflist, run only when it has work).
//     RUNDIR/network.json records the intent before each step and the exact conflist
//     each ADD ran, so Teardown (DEL, netns unmount, slirp4netns kill) works after a
//     crash at any point and twice in a row. The bridge is created up before ADD
//     (the plugin's own creation costs ~300 ms of waiting for the port) and removed
//     when its last container leaves, so an idle store leaves no interface.
//   - Speed (every plugin and every iptables/nft it runs is an exec, ~5 to 25 ms of
//     CPU each on this 2-core VM, so the count of execs is the cost):
//     Start makes the netns and /etc/hosts, then runs the ADDs in the background
//     while the engine creates the container (the monitor and libcontainer's
//     create take about as long); Start's caller waits before the container's
//     process starts. A process killed meanwhile leaves State.Pending, which
//     `network prune` reads as abandoned (the container is killed, its network
//     released). DEL runs the plugins of a chain at once (cniExec) and the DELs
//     of all networks at once; the netns goes first when no plugin's DEL needs it
//     (the kernel drops the veth in the background: ~20 ms of RCU wait saved), and
//     a bridge left idle is removed after the container's lock is released
//     (TeardownDeferred). Masquerade: as root, engine's one iptables rule per
//     subnet, added with the bridge (next to the plugin's ADD) and removed with
//     it; the plugin's ipMasq (a chain per container: 11 iptables execs per ADD,
//     6 per DEL) stays for rootless networks. Portmap uses nftables (3 execs per
//     ADD instead of ~20 of iptables). DEL gives each
//     plugin a PATH with only the tool its ADD used (delPaths): the bridge DEL
//     otherwise tears down both backends and portmap's iptables DEL IPv6 too.
//     nft runs with glibc's mmap threshold raised (mallocTunable): its cache
//     allocates 128 KiB hash tables with mmap, and munmap is slow on this VM.
//     These options need engine's own plugin build (bin/cni, libexec/engine/cni);
//     with a distribution's plugins, engine uses iptables and the default PATH.
//   - Name resolution: each container's /etc/hosts is its own part plus one line per
//     peer on its networks, rewritten in place (it is bind-mounted) by whichever
//     engine process attaches or detaches a container. No DNS daemon (so
//     dns_enabled is false). The own part is podman 4.3's: --add-host entries, the
//     host's /etc/hosts, 127.0.0.1 localhost when missing, host.containers.internal
//     (the first bridge network's gateway, else the host's first address) and the
//     container's address and names. A container:NAME container bind-mounts NAME's
//     hosts and resolv.conf (so it sees NAME's peers as they come and go).
//   - Published ports are checked by binding them (then released): portmap forwards
//     with nftables (table ip cni_hostport), slirp4netns binds them itself.
//     Random host ports for -P and "-p 80" are picked at create (PickHostPorts), as
//     podman does: ps and inspect show them before the start, a restart keeps them.
//   - A failed ADD undoes the setup but for the netns mount (RUNDIR/netns, which a
//     later Teardown removes without a record): the container may be being created
//     in it, and runc's error about a vanished netns would hide the ADD's.
//   - -o options: bridge mtu and vlan (plugin config, and the pre-made bridge gets
//     the same MTU and VLAN filtering), macvlan parent (the network's interface,
//     checked to exist), mode and mtu; others are refused, not ignored.
//   - Rootless: slirp4netns per container, started detached (own session) with an
//     API socket for port forwarding, pid in network.json, killed by Teardown.
//   - Rootless user networks (podman 4's "rootless-netns" with CNI, rootlessns.go):
//     one netns per store, made inside the user's user namespace on the first
//     ADD (under the store's network lock) and bind-mounted at
//     RUNROOT/engine/net/rootless-netns/netns in the user's mount namespace, with
//     one detached slirp4netns (tap0, --configure, --disable-host-loopback, API
//     socket) as its way out and ip_forward on. The plugins are exec'd from a
//     thread that setns()ed into it (cniExec.netns; a forked child keeps the
//     thread's netns; the thread is never unlocked, so Go discards it), so the
//     bridge and the masquerade and portmap rules live there and the veth peer
//     goes into the container's netns. Chosen over a bridge per container's slirp
//     (no container-to-container path) and over a daemon (none wanted): the cost
//     per container is the same plugin execs as root; the netns and its
//     slirp4netns cost ~100 ms once. -p is two hops: slirp4netns add_hostfwd
//     from the host's address and port to tap0's (10.0.2.100) same port, and
//     portmap's DNAT from there (matching any local address); forwards are
//     removed by matching list_hostfwd with the container's recorded ports, so a
//     crash before anything else was recorded still finds them. No host-wide
//     claims rootless (the bridges are private to the store's netns) and no
//     firewall plugin (its FORWARD chain accepts); leases, cache and the
//     iptables-legacy lock (XTABLES_LOCKFILE) are under the run root. When the
//     last container of the store's networks leaves (Teardown, Disconnect,
//     Prune), slirp4netns is killed and the netns unmounted, so an idle store
//     leaves no process or mount; a slirp4netns that died is restarted (and the
//     ports forwarded again) by the next ADD, one started by a killed process
//     before its pid was written is found by its command line. Rootless
//     `--network bridge` is the default network in that netns, made by the
//     first container that asks for it (the rootless default stays
//     slirp4netns, as podman's); macvlan stays root-only.
package netcni
