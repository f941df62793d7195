/* Whether this process may make idmapped mounts at all (privilege.h). */
#include "privilege.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int in_initial_userns(void)
{
        struct stat st;

        if (stat("/proc/self/ns/user", &st) < 0)
                return -errno;
        return st.st_ino == USER_NS_INIT_INODE;
}

bool privileged_enough(void)
{
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { 0 };

        if (in_initial_userns() != 1 || syscall(SYS_capget, &hdr, data) < 0)
                return false;
        return data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}
