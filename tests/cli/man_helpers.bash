# man_helpers.bash - what the tests of the manual pages share (man.bats,
# man3.bats): reading a page's text, rendering it, and a directory with
# the example jobs and their data.  Needs PY and LSIO_TOP.

# man_text FILE [SECTION]: the troff source (of one .SH section) with the
# escapes the pages use for ASCII characters undone.
man_text() {
	if [ -n "${2:-}" ]; then
		sed -n "/^\.SH \"\{0,1\}$2\"\{0,1\}\$/,/^\.SH /p" "$1"
	else
		cat "$1"
	fi | sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\(dq/"/g' -e 's/\\e/\\/g'
}

# render FILE: troff warnings of the page, on stdout (nothing when clean).
render_warnings() {
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null
	else
		groff -man -Tutf8 -ww -z "$1" 2>&1
	fi
}

need_renderer() {
	command -v man >/dev/null || command -v groff >/dev/null ||
		skip "neither man nor groff is installed"
}

# A directory with the example jobs and their data, and lsio on PATH.
demo_dir() {
	"$PY" -c 'import numpy' 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy (apt-get install python3-numpy)"
	mkdir -p demo/bin
	"$PY" "$LSIO_TOP/tests/fixtures/make_demo_data.py" demo ||
		fail "make_demo_data.py failed"
	cp -r "$LSIO_TOP/jobs" demo/jobs
	ln -s "$LSIO" demo/bin/lsio
}
