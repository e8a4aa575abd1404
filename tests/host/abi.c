// SPDX-License-Identifier: GPL-2.0-only
/*
 * abi - the UAPI header keeps upstream Linux's ioctl numbers and struct
 * layouts, so unmodified libxengnttab and backends work.  Built and run
 * both as LP64 and as ILP32 (where GRANT_COPY's layout differs).
 */
#include <stddef.h>
#include <stdio.h>
#include <xen/gntdev.h>

static int n, failed;

/* One result: @what, whose value is @got, must be @want. */
static void check(const char *what, unsigned long got, unsigned long want)
{
	int ok = got == want;

	printf("%sok %d - %s (0x%lx)\n", ok ? "" : "not ", ++n, what, got);
	if (!ok) {
		printf("# want 0x%lx\n", want);
		failed++;
	}
}

#define EQ(expr, want) check(#expr, (unsigned long)(expr), (want))

int main(void)
{
	int lp64 = sizeof(void *) == 8;

	EQ(IOCTL_GNTDEV_MAP_GRANT_REF, 0x00184700);
	EQ(IOCTL_GNTDEV_UNMAP_GRANT_REF, 0x00104701);
	EQ(IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, 0x00184702);
	EQ(IOCTL_GNTDEV_SET_MAX_GRANTS, 0x00044703);
	EQ(IOCTL_GNTDEV_SET_UNMAP_NOTIFY, 0x00104707);
	EQ(IOCTL_GNTDEV_GRANT_COPY, lp64 ? 0x00104708 : 0x00084708);
	EQ(IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, 0x00144709);
	EQ(IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, 0x0008470a);
	EQ(IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, 0x0014470b);
	EQ(IOCTL_GNTDEV_DMABUF_IMP_RELEASE, 0x0008470c);
	EQ(IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS_V2, 0x0018470d);
	EQ(IOCTL_GNTDEV_DMABUF_IMP_TO_REFS_V2, 0x0018470e);
	EQ(IOCTL_GNTDEV_DMABUF_WAIT_FREE, IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED);
	EQ(IOCTL_GNTDEV_DMABUF_EXP_TO_REFS, IOCTL_GNTDEV_DMABUF_IMP_TO_REFS);

	EQ(offsetof(struct ioctl_gntdev_map_grant_ref, index), 8);
	EQ(offsetof(struct ioctl_gntdev_map_grant_ref, refs), 16);
	EQ(offsetof(struct ioctl_gntdev_get_offset_for_vaddr, count), 16);
	EQ(offsetof(struct ioctl_gntdev_unmap_notify, event_channel_port), 12);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs, fd), 8);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs, domid), 12);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs, refs), 16);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_imp_to_refs, reserved), 12);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs_v2, data_ofs), 8);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_exp_from_refs_v2, refs), 20);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_imp_to_refs_v2, data_ofs), 16);
	EQ(offsetof(struct ioctl_gntdev_dmabuf_imp_to_refs_v2, refs), 20);
	/* The foreign member makes the union 8 bytes on both ABIs. */
	EQ(sizeof(struct gntdev_grant_copy_segment), 24);
	EQ(offsetof(struct gntdev_grant_copy_segment, len), 16);
	EQ(offsetof(struct gntdev_grant_copy_segment, status), 20);
	EQ(sizeof(struct ioctl_gntdev_grant_copy), lp64 ? 16 : 8);

	printf("1..%d\n", n);
	return failed != 0;
}
