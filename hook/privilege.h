/* Whether this process may make idmapped mounts at all. */
#pragma once

#include <stdbool.h>

/* The kernel lets only CAP_SYS_ADMIN in the initial user namespace idmap a
 * mount of a filesystem mounted there.  A rootless engine runs its hooks in
 * a user namespace of its own.  The initial user namespace's nsfs inode is
 * fixed (PROC_USER_INIT_INO, 0xEFFFFFFD, since Linux 3.8); NS_GET_PARENT
 * cannot tell, as it says EPERM for the caller's own namespace whether or
 * not that has a parent (checked here: under `unshare -Ur` too). */
#define USER_NS_INIT_INODE 0xEFFFFFFDu

/* 1 in the initial user namespace, 0 below it, -errno when /proc cannot
 * say. */
int in_initial_userns(void);

/* In the initial user namespace with CAP_SYS_ADMIN effective. */
bool privileged_enough(void);
