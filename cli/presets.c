/* SPDX-License-Identifier: MIT */
/*
 * smmusim presets: list the implementation presets, or show one (or a
 * preset file) as the ID registers software will read.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "smmusim/smmu_impl.h"

const char cmd_presets_usage[] =
	"usage: smmusim presets [NAME | --file PRESET_FILE]\n"
	"\n"
	"Without arguments, list the built-in implementation presets.\n"
	"With a preset name or a preset file (docs/presets.md), print the\n"
	"ID registers it presents and its cache geometry.\n";

static void show(const struct smmu_impl *p)
{
	static const char *const policy[] = { "lru", "fifo", "random" };

	printf("preset %s\n", p->name);
	printf("  AIDR  0x%08x (SMMUv3.%u)\n", p->arch_minor, p->arch_minor);
	printf("  IIDR  0x%08x\n", p->iidr);
	printf("  IDR0  0x%08x\n", smmu_impl_idr0(p));
	printf("  IDR1  0x%08x (SIDSIZE %u, SSIDSIZE %u)\n",
	       smmu_impl_idr1(p), p->sidsize, p->ssidsize);
	printf("  IDR3  0x%08x\n", smmu_impl_idr3(p));
	printf("  IDR5  0x%08x (OAS %u bits)\n", smmu_impl_idr5(p),
	       smmu_oas_bits(p->oas));
	printf("  stages:%s%s  ATS %s  PRI %s  STALL_MODEL %u  HTTU %u\n",
	       p->s1p ? " S1" : "", p->s2p ? " S2" : "",
	       p->ats ? "yes" : "no", p->pri && p->ats ? "yes" : "no",
	       p->stall_model, p->httu);
	printf("  tlb %ux%u %s, walk cache %ux%u %s, config cache %ux%u %s\n",
	       p->tlb.sets, p->tlb.ways, policy[p->tlb.policy % 3],
	       p->walkcache.sets, p->walkcache.ways,
	       policy[p->walkcache.policy % 3], p->cfgcache.sets,
	       p->cfgcache.ways, policy[p->cfgcache.policy % 3]);
}

int cmd_presets(int argc, char **argv)
{
	struct smmu_impl impl;
	char err[512];

	if (argc == 1) {
		for (size_t i = 0; i < smmu_impl_preset_count(); i++)
			printf("%s\n", smmu_impl_preset_name(i));
		return EXIT_OK;
	}
	if (argc == 3 && !strcmp(argv[1], "--file")) {
		if (!smmu_impl_load_file(argv[2], &impl, err, sizeof(err))) {
			fprintf(stderr, "smmusim presets: %s\n", err);
			return EXIT_USAGE;
		}
		show(&impl);
		return EXIT_OK;
	}
	if (argc == 2 && argv[1][0] != '-') {
		if (!smmu_impl_preset(argv[1], &impl))
			return cli_usage_error("presets", "unknown preset '%s'",
					       argv[1]);
		show(&impl);
		return EXIT_OK;
	}
	return cli_usage_error("presets", "unexpected argument '%s'",
			       argv[argc - 1]);
}

bool cli_load_preset(const char *cmd, const char *name,
		     struct smmu_impl *impl)
{
	char err[512];

	if (smmu_impl_preset(name, impl))
		return true;
	if (!strchr(name, '/') && !strchr(name, '.')) {
		cli_usage_error(cmd, "unknown preset '%s'", name);
		return false;
	}
	if (!smmu_impl_load_file(name, impl, err, sizeof(err))) {
		fprintf(stderr, "smmusim %s: %s\n", cmd, err);
		return false;
	}
	return true;
}
