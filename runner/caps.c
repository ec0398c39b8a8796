/* SPDX-License-Identifier: MIT */
/*
 * caps.c - capability name table and the capset/prctl calls (see caps.h).
 * Raw syscalls, not libcap: two calls do not justify another dependency.
 */
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

const char *cap_to_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ELEMENTSOF(cap_names))
		return NULL;
	return cap_names[cap];
}

int cap_from_name(const char *name, uint64_t *ret)
{
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	if (strcasecmp(name, "ALL") == 0) {
		*ret = CAPS_ALL;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
		if (strcasecmp(name, cap_names[i]) == 0) {
			*ret = 1ULL << i;
			return 0;
		}
	return -EINVAL;
}

uint64_t caps_compute(uint64_t add, uint64_t drop)
{
	/* As Docker: "--cap-drop ALL --cap-add X" leaves exactly X. */
	if (drop == CAPS_ALL)
		return add;
	return (CAPS_DEFAULT | add) & ~drop;
}

int caps_resolve(uint64_t add, uint64_t drop, uint64_t grantable, uint64_t *ret, int *ret_missing)
{
	uint64_t named = add == CAPS_ALL ? 0 : add & ~grantable;

	if (named) {
		*ret_missing = __builtin_ctzll(named);
		return -EPERM;
	}
	*ret = caps_compute(add, drop) & grantable;
	return 0;
}

static int cap_last(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f && fscanf(f, "%d", &last) != 1)
		last = CAP_LAST_CAP;
	return last;
}

uint64_t caps_grantable(void)
{
	int last = cap_last();
	uint64_t m = 0;

	for (int c = 0; c <= last && c < 64; c++)
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			m |= 1ULL << c;
	return m;
}

uint64_t caps_known(void)
{
	int last = cap_last();

	return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

int caps_first_unheld(uint64_t want)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	uint64_t have, missing;

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	have = (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
	missing = want & ~have;
	return missing ? __builtin_ctzll(missing) : -1;
}

int caps_bounding_apply(uint64_t want)
{
	int last = cap_last();

	for (int c = 0; c <= last && c < 64; c++) {
		if (want & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

int caps_set(uint64_t want)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(want >> (32 * i));
		data[i].permitted = data[i].effective;
		/* Inheritable stays empty, as in Docker since 20.10 (CVE-2022-24769). */
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	/* Ambient capabilities would survive exec as non-root: none. */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return 0;
}
