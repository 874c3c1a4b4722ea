# engine: build, test, install.
GO ?= go
PREFIX ?= /usr/local
DESTDIR ?=
BUILDTAGS ?= exclude_graphdriver_btrfs containers_image_openpgp containers_image_docker_daemon_stub seccomp libsqlite3 urfave_cli_no_docs
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/engine-dev/engine/internal/cli.Version=$(VERSION)
CNI_PLUGINS := main/bridge main/macvlan main/loopback meta/portmap ipam/host-local meta/firewall meta/tuning
CNI_MODULE := github.com/containernetworking/plugins/plugins
TESTFLAGS ?=

.PHONY: all engine cni install test unit bench demo clean vet fmt FORCE

all: engine cni bin/engine-init

engine: bin/engine bin/engine-init

# The --init binary runs inside containers, so it is static.
bin/engine-init: internal/initbin/init.c
	@mkdir -p bin
	$(CC) -static -Os -Wall -Wextra -o $@ $<

# The create helper, exec and libcontainer's init run as a small program of their
# own (internal/shim), embedded in bin/engine (engine_shim tag): built first, with
# its sha256, next to the package that embeds it (internal/shim/shimbin).
SHIM := internal/shim/shimbin/engine-shim
# Written under temporary names and renamed, so that a build running at the same
# time in the same tree never embeds half a file, and bin/engine is a new file each
# time: the linker truncating and rewriting a file that is mapped or hard-linked
# (perf's build-id cache links what it profiled) left its page cache in a state
# that cost every later start ~270 more page faults and ~10% more CPU here.
bin/engine: FORCE
	CGO_ENABLED=1 $(GO) build -tags "$(BUILDTAGS)" -ldflags "-s -w" -o $(SHIM).$$$$.tmp ./internal/shim/cmd/engine-shim && \
		sha256sum $(SHIM).$$$$.tmp | cut -c1-64 > $(SHIM).sum.$$$$.tmp && \
		mv -f $(SHIM).$$$$.tmp $(SHIM) && mv -f $(SHIM).sum.$$$$.tmp $(SHIM).sum
	CGO_ENABLED=1 $(GO) build -tags "$(BUILDTAGS) engine_shim" -ldflags "$(LDFLAGS)" -o $@.$$$$.tmp . && mv -f $@.$$$$.tmp $@

# The CNI plugins pinned in go.mod (tool directives), static, into bin/cni/.
cni:
	@mkdir -p bin/cni
	CGO_ENABLED=0 $(GO) build -o bin/cni/ $(addprefix $(CNI_MODULE)/,$(CNI_PLUGINS))

install: all
	install -D -m 0755 bin/engine $(DESTDIR)$(PREFIX)/bin/engine
	install -D -m 0755 bin/engine-init $(DESTDIR)$(PREFIX)/libexec/engine/engine-init
	install -d $(DESTDIR)$(PREFIX)/libexec/engine/cni
	install -m 0755 bin/cni/* $(DESTDIR)$(PREFIX)/libexec/engine/cni/

# Every test: unit tests and the integration suite against the built binary, as root
# and, where it applies, as an ordinary user made by the tests.
test: all
	ENGINE_BINARY=$(CURDIR)/bin/engine CNI_PATH=$(CURDIR)/bin/cni \
		$(GO) test -tags "$(BUILDTAGS)" -count=1 -timeout 30m $(TESTFLAGS) ./...

# Unit tests only: no root, no binary.
unit:
	$(GO) test -tags "$(BUILDTAGS)" -count=1 -short ./...

# engine against podman, side by side (internal/bench); BENCHFLAGS=-quick for a short run.
BENCHFLAGS ?=
bench: engine
	bash .ci/bench-setup
	$(GO) run -tags "$(BUILDTAGS)" ./internal/bench -engine bin/engine -out bin/bench $(BENCHFLAGS)

vet:
	$(GO) vet -tags "$(BUILDTAGS)" ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

demo: all
	bash .ci/demo

clean:
	rm -rf bin $(SHIM) $(SHIM).sum $(SHIM).*.tmp

FORCE:
