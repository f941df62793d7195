/* The e2e tests' runtime probe (runtime_probe.c): where it writes. */
#pragma once

/* The annotation naming the file the probe writes the detected kind to. */
#define RUNTIME_PROBE_OUT "io.github.oci-idmap-hook.test.runtime-probe-out"
