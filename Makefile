# lsio - one non-recursive Makefile.
#
#   make            build lsio, liblsio.a and liblsio.so
#   make demo       install missing Debian packages (as root), build, run a job
#   make check      the same set-up, then every test (unit, CLI, end-to-end)
#   make bench      the benchmark suite (never part of check)
#   make asan|tsan  the test suite under a sanitizer
#   make install PREFIX=/usr/local DESTDIR=...
#   V=1             show the commands

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
# The Python module goes where Debian's /usr/bin/python3 looks: its own
# dist-packages under /usr, python3.X/dist-packages under another prefix
# (/usr/local/lib/python3.11/dist-packages is on its sys.path).
PYTHON  ?= /usr/bin/python3
PYDIR   ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)/dist-packages)
DESTDIR ?=

CC      ?= cc
PKGS    := liburing jansson libzstd liblz4 zlib blosc libdeflate \
	libpng libopenjp2
# libcurl, libnetcdf and libcrypto are not linked: lib/io/curl_load.c
# dlopen()s libcurl when a job first has a remote source,
# lib/sink/netcdf_load.c libnetcdf when it first writes a NetCDF file
# (their ~30 and ~40 libraries would cost every run ~5 ms), by the
# soname of the library that pkg-config's package names;
# lib/util/crypto.c libcrypto when a cloud credential is first signed.
DLOPEN_PKGS := libcurl netcdf libcrypto
# $(call dl_soname,PKG,LIB): the soname of libLIB.so, looked for in PKG's
# libdir, then where the compiler finds it; empty when not found.
dl_soname = $(shell readelf -d $(firstword $(wildcard \
	$(shell pkg-config --variable=libdir $(1) 2>/dev/null)/lib$(2).so) \
	$(shell $(CC) -print-file-name=lib$(2).so)) 2>/dev/null | \
	sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
CURL_SONAME   ?= $(call dl_soname,libcurl,curl)
NETCDF_SONAME ?= $(call dl_soname,netcdf,netcdf)
# Debian packages the build, the tests and the demo need.
DEB_BUILD := build-essential pkg-config liburing-dev libjansson-dev libzstd-dev \
	liblz4-dev libcurl4-gnutls-dev zlib1g-dev libblosc-dev libdeflate-dev \
	libaec-dev libpng-dev libopenjp2-7-dev libnetcdf-dev libssl-dev
DEB_TEST  := bats bats-assert bats-support python3-numpy python3-numcodecs \
	python3-zarr python3-jsonschema python3-jwt python3-cryptography zstd lz4 gzip nginx-light libnginx-mod-http-echo \
	curl openssl libcap2-bin swift swift-proxy swift-object swift-container swift-account memcached \
	libeccodes-tools python3-eccodes python3-gdal gdal-bin clang libclang-rt-14-dev \
	python3-xarray python3-netcdf4 python3-cftime netcdf-bin time \
	slurmctld slurmd slurm-client munge
DEB_BENCH := fio hyperfine time python3-fsspec python3-aiohttp python3-cfgrib \
	python3-dask cdo

BUILD   ?= build
OPT     ?= -O2
SAN     ?=
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter -Wstrict-prototypes \
	-Wmissing-prototypes -Werror=implicit-function-declaration
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread -fPIC $(WARN) $(CFLAGS) $(SAN) \
	-MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(DLOPEN_PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libaec (GRIB2 template 5.42) ships no .pc file on Debian 12.  -ldl for
# glibc < 2.34; from 2.34 on, dlopen is in libc and libdl.a is empty.
SYS_LIBS = -laec -lm -ldl -pthread
LIBS     = $(PKG_LIBS) $(SYS_LIBS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC  := $(wildcard lib/*.c lib/*/*.c)
CMD_SRC  := $(wildcard cmd/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBA     := $(BUILD)/liblsio.a
LIBA_INT := $(BUILD)/liblsio-internal.a
LSIO     := $(BUILD)/lsio
MAN3     := $(wildcard man/*.3)

# The shared library is liblsio.so.MAJOR.MINOR.PATCH of LSIO_VERSION, its
# soname liblsio.so.MAJOR.  While MAJOR is 0 the ABI is not promised:
# struct lsio_options and struct lsio_stats are allocated by the caller
# and grow, so a release that adds a field must raise the soname.
VERSION  := $(shell sed -n 's/^.define LSIO_VERSION "\([^"]*\)".*/\1/p' \
	lib/include/lsio.h)
SONAME   := liblsio.so.$(firstword $(subst ., ,$(VERSION)))
SO       := $(BUILD)/liblsio.so.$(VERSION)
SO_LINKS := $(BUILD)/$(SONAME) $(BUILD)/liblsio.so

.PHONY: all deps demo check unit cli asan tsan bench install uninstall clean lint fuzz

all: $(LSIO) $(SO) $(SO_LINKS) $(UNIT_BIN) $(BUILD)/lsio.pc

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilib -Ilib/include $(PKG_CFLAGS) -c $< -o $@

# The GRIB2 decoder's hot loops are written to vectorise (-O3), and must
# round y = X * mul + add twice as ecCodes does, never fused (fp-contract).
$(BUILD)/lib/stage/grib2_bits.o $(BUILD)/lib/stage/grib2_simple.o \
	$(BUILD)/lib/stage/grib2_complex.o: \
	ALL_CFLAGS += -O3 -ffp-contract=off

# A reduction's folding and merging loops are written to vectorise too.
$(BUILD)/lib/sink/reduce.o: ALL_CFLAGS += -O3

$(BUILD)/lib/io/curl_load.o: \
	ALL_CFLAGS += $(if $(CURL_SONAME),-DLSIO_CURL_SONAME='"$(CURL_SONAME)"')
$(BUILD)/lib/sink/netcdf_load.o: \
	ALL_CFLAGS += $(if $(NETCDF_SONAME),-DLSIO_NETCDF_SONAME='"$(NETCDF_SONAME)"')

# The CLI sees the public header only: it is a client of the library.
$(BUILD)/cmd/%.o: cmd/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilib/include -c $< -o $@

# One set of objects (-fPIC) makes both libraries.  The lsio tool links
# liblsio.a: a run starts without the loader's work for one more library
# (and without relocating its PLT).  liblsio.a, installed for programs
# that link lsio statically, is one object whose only global symbols are
# lsio.h's (as liblsio.so exports them): the library's own functions
# (job_at, grib_scan, ...) cannot clash with a program's.  Linking the
# lsio tool with it shows the tool needs nothing but lsio.h.  The unit
# tests and fuzzers, which look inside, link liblsio-internal.a.
$(LIBA_INT): $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBA): $(LIB_OBJ) $(BUILD)/lsio.map
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ $(BUILD)/liblsio-all.o && \
	ld -r -o $(BUILD)/liblsio-all.o $(LIB_OBJ) && \
	sed -n 's/^\t\(lsio_[A-Za-z0-9_]*\);$$/\1/p' $(BUILD)/lsio.map > $(BUILD)/lsio.syms && \
	objcopy --keep-global-symbols=$(BUILD)/lsio.syms $(BUILD)/liblsio-all.o && \
	ar rcs $@ $(BUILD)/liblsio-all.o

# liblsio.so exports exactly the functions lsio.h declares, and nothing of
# the libraries it links: lsio.map, a linker version script written from
# the header, makes every other symbol local.  Internal functions are
# named lsio_* too (lsio_fail, lsio_chunk_place), so no pattern can tell
# them apart: the header can.  The list is every `lsio_NAME (` the
# preprocessor leaves (comments gone, so a function the comments mention
# is not exported unless declared), and a function added to lsio.h is
# exported by the next build.  tests/cli/install.bats checks `nm -D`
# against the compiler's own list of the header's declarations.
$(BUILD)/lsio.map: lib/include/lsio.h
	@mkdir -p $(BUILD)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)syms=$$($(CC) -E -P -x c $< | grep -o '\<lsio_[A-Za-z0-9_]* *(' | \
		sed 's/ *(/;/' | sort -u) && [ -n "$$syms" ] && \
	printf '/* generated from lsio.h by the Makefile */\n{\nglobal:\n%s\nlocal:\n\t*;\n};\n' \
		"$$(echo "$$syms" | sed 's/^/\t/')" > $@

# -z defs: a symbol that no object nor dependency defines fails the link
# here, not in a user's program.  Not with a sanitizer: clang links its
# runtimes into executables only.
$(SO): $(LIB_OBJ) $(BUILD)/lsio.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=$(BUILD)/lsio.map $(if $(SAN),,-Wl,-z,defs) \
		-o $@ $(LIB_OBJ) $(LIBS)

$(SO_LINKS): $(SO)
	$(Q)ln -sf $(notdir $(SO)) $@

$(LSIO): $(CMD_OBJ) $(LIBA)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $(CMD_OBJ) $(LIBA) $(LIBS)

# Unit tests may look inside the library (internal.h).
$(BUILD)/tests/%: tests/unit/%.c $(LIBA_INT) tests/unit/unit.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilib -Ilib/include $(PKG_CFLAGS) -o $@ $< $(LIBA_INT) $(LIBS)

# Always written anew: `make install PREFIX=...` must not ship the prefix
# of an earlier build.  `pkg-config --libs lsio` is -llsio alone: the
# shared library names its dependencies itself (DT_NEEDED).  A static link
# (`pkg-config --static`) needs them all: the packages that have a .pc in
# Requires.private, the rest (libaec has no .pc on Debian 12) and the C
# library's parts in Libs.private.  libcurl and libnetcdf are in neither:
# they are dlopen()ed.  A fully static program (cc -static) also needs
# what Debian 12's blosc.pc leaves out (README), and its dlopen() works
# only with the glibc it was linked with: tests/cli/install.bats links
# both ways.
.PHONY: $(BUILD)/lsio.pc
$(BUILD)/lsio.pc:
	@mkdir -p $(BUILD)
	$(Q){ echo 'prefix=$(PREFIX)'; echo 'libdir=$(LIBDIR)'; \
	echo 'includedir=$(INCDIR)'; echo; \
	echo 'Name: lsio'; \
	echo 'Description: light speed I/O: many byte ranges, decoded in cache'; \
	echo 'Version: $(VERSION)'; \
	echo 'Cflags: -I$${includedir}'; \
	echo 'Libs: -L$${libdir} -llsio'; \
	echo '# --static: what liblsio.a needs (libcurl, libnetcdf: dlopen)'; \
	echo 'Requires.private: $(PKGS)'; \
	echo 'Libs.private: $(SYS_LIBS)'; } > $@

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)

# --- set-up: install what is missing (root), or say what to install ---------
deps:
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST)
	@tests/deps-npm.sh

deps-bench: deps
	@tests/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH)

demo: deps
	@$(MAKE) --no-print-directory all
	@tests/demo.sh $(LSIO)

# --- tests ----------------------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory fuzz-build
	@tests/run.sh $(BUILD)

unit: all
	@tests/run.sh $(BUILD) unit

cli: all
	@tests/run.sh $(BUILD) cli

asan:
	@$(MAKE) --no-print-directory check BUILD=build-asan OPT=-O1 \
		SAN='-fsanitize=address,undefined -fno-omit-frame-pointer'

tsan:
	@$(MAKE) --no-print-directory check BUILD=build-tsan OPT=-O1 \
		SAN='-fsanitize=thread'

bench: deps-bench
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh $(LSIO)

# --- fuzzing ----------------------------------------------------------------
# libFuzzer targets, one file each in tests/fuzz/, built by clang into
# $(FUZZ_BUILD)/fuzz/ over a copy of the library built there with the same
# sanitizers (never mixed with the normal build).  `make fuzz` runs each
# for FUZZ_SECONDS; `make check` builds them and runs each for 3 s (a
# skip, not a pass, when clang has no libFuzzer).
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_BIN     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,\
	$(wildcard tests/fuzz/fuzz_*.c))
export LSIO_FUZZ_BUILD := $(abspath $(FUZZ_BUILD))

.PHONY: fuzz-build fuzz-bins clean-fuzz

fuzz: fuzz-build
	@tests/fuzz/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-build:
	@if tests/fuzz/fuzz.sh --probe $(FUZZ_CC); then \
		$(MAKE) --no-print-directory fuzz-bins BUILD=$(FUZZ_BUILD) \
			CC=$(FUZZ_CC) OPT=-O1 \
			SAN='-fsanitize=fuzzer-no-link $(FUZZ_SAN)'; fi

fuzz-bins: $(FUZZ_BIN)

# Like a unit test, a target may look inside the library (internal.h).
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBA_INT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $<")
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -Ilib -Ilib/include \
		$(PKG_CFLAGS) -o $@ $< $(LIBA_INT) $(LIBS)

-include $(FUZZ_BIN:=.d)

# The same targets without libFuzzer or sanitizers, each input file run
# once, for valgrind: it sees the libraries' writes, which ASan does not.
.PHONY: fuzz-valgrind
fuzz-valgrind: $(BUILD)/replay/fuzz_stages
	@tests/fuzz/valgrind.sh $(BUILD)/replay/fuzz_stages

$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(LIBA_INT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  REPLAY  $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Ilib -Ilib/include $(PKG_CFLAGS) -o $@ $< \
		tests/fuzz/replay_main.c $(LIBA_INT) $(LIBS)

clean: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_BUILD)

# cppcheck finds real bugs; .clang-format is for editors (clang-format
# cannot align trailing comments with tabs as kernel style does).
lint: all
	cppcheck -q --std=c11 --enable=warning,portability --inline-suppr \
		-D__linux__ -D_GNU_SOURCE -Ilib -Ilib/include --error-exitcode=1 lib cmd
	tests/lint/layers.sh $(BUILD)

# --- install ---------------------------------------------------------------
# The shared library, its soname link (what ldconfig would make) and the
# link `cc -llsio` looks for.  As root into /usr/local, run ldconfig after.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(LSIO) $(DESTDIR)$(BINDIR)/lsio
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/liblsio.a
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/$(notdir $(SO))
	ln -sf $(notdir $(SO)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/liblsio.so
	install -m 644 $(BUILD)/lsio.pc $(DESTDIR)$(LIBDIR)/pkgconfig/lsio.pc
	install -m 644 lib/include/lsio.h $(DESTDIR)$(INCDIR)/lsio.h
	install -m 644 man/lsio.1 $(DESTDIR)$(MANDIR)/man1/lsio.1
	install -m 644 man/lsio-job.5 $(DESTDIR)$(MANDIR)/man5/lsio-job.5
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)
	install -d $(DESTDIR)$(PYDIR)/lsio
	install -m 644 python/lsio/__init__.py $(DESTDIR)$(PYDIR)/lsio/__init__.py
	printf '# written by make install: where liblsio.so.0 was installed\nLIBDIR = %s\n' \
		'$(LIBDIR)' > $(DESTDIR)$(PYDIR)/lsio/_config.py

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lsio $(DESTDIR)$(LIBDIR)/liblsio.a \
		$(DESTDIR)$(LIBDIR)/$(notdir $(SO)) \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/liblsio.so \
		$(DESTDIR)$(LIBDIR)/pkgconfig/lsio.pc $(DESTDIR)$(INCDIR)/lsio.h \
		$(DESTDIR)$(MANDIR)/man1/lsio.1 $(DESTDIR)$(MANDIR)/man5/lsio-job.5 \
		$(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
		$(DESTDIR)$(PYDIR)/lsio/__init__.py $(DESTDIR)$(PYDIR)/lsio/_config.py
	rm -rf $(DESTDIR)$(PYDIR)/lsio/__pycache__
	-rmdir $(DESTDIR)$(PYDIR)/lsio 2>/dev/null

clean:
	rm -rf build build-asan build-tsan
