/* SPDX-License-Identifier: MIT */
/*
 * replay_main.c - a main() for a fuzz target without libFuzzer: each file
 * argument is one input, run once.  Built by tests/fuzz/valgrind.sh with
 * the ordinary compiler and no sanitizer, so that valgrind sees every
 * write, the libraries' (OpenJPEG, libpng, libaec) included, which
 * AddressSanitizer does not instrument.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf;
		long n;

		if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET)) {
			fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
			return 2;
		}
		buf = malloc(n ? (size_t)n : 1);
		if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
			fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
			return 2;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	return 0;
}
