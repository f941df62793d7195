/* What the runtime that runs the hook will do after it, as far as the hook's
 * work is concerned.  Told apart by what the runtime's container init holds
 * and how its state looks, never by the runtime's name (hook/runtime.c
 * observes it; the plan takes it as an input). */
#pragma once

enum runtime_kind {
        /* Could not tell: the hook applies root read-only, the masked and the
         * read-only paths itself (fails loudly under runc rather than
         * silently under crun). */
        RUNTIME_UNKNOWN = 0,
        /* runc up to 1.3.5 and 1.4.2: after the hooks it applies root
         * read-only, masked and read-only paths by path (reaching a replaced
         * rootfs), and pivots into the rootfs by path. */
        RUNTIME_RUNC_BY_PATH,
        /* crun: applies them after the hooks through handles it opened
         * before the hooks (they land on the old tree), pivots by path. */
        RUNTIME_CRUN_BY_HANDLE,
        /* runc 1.3.6+, 1.4.3+, 1.5: took an O_PATH handle on the rootfs
         * before the hooks and pivots into that handle: a rootfs mount a
         * hook puts on top is never the container's root. */
        RUNTIME_RUNC_PIVOTS_INTO_HANDLE,
};

const char *runtime_kind_str(enum runtime_kind k);
