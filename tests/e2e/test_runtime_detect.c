/* What hook/runtime.c takes Debian's runc 1.1.5 and crun 1.8.1 for, seen
 * from a real createRuntime hook (the test-only runtime-probe).  The current
 * runtimes are in test_current_runtime.c. */
#include <criterion/criterion.h>

#include "lib_e2e.h"

E2E_TEST(runtime_detect, runc_1_1_5_is_runc_by_path)
{
        const char *kind = e2e_probe_runtime_kind(E2E_RUNC, e2e_make_disk_rootfs());

        cr_assert_str_eq(kind, "runc-by-path\n");
}

E2E_TEST(runtime_detect, crun_1_8_1_is_crun_by_handle)
{
        const char *kind = e2e_probe_runtime_kind(E2E_CRUN, e2e_make_disk_rootfs());

        cr_assert_str_eq(kind, "crun-by-handle\n");
}
