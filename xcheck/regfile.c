/* SPDX-License-Identifier: MIT */
/*
 * Register files: a JSON object of register names (as the facts sheet
 * spells them, without SMMU_) to hex strings, read and written with
 * jansson. The register list is the model's own (smmu/regs.c).
 */
#include "xcheck/xcheck.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <string.h>

#include "smmu/regs.h"

_Static_assert(R_COUNT <= XC_REGS_MAX, "XC_REGS_MAX too small");

static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

unsigned xc_reg_count(void)
{
	return R_COUNT;
}

const char *xc_reg_name(unsigned i)
{
	return i < R_COUNT ? regs_name((enum reg_id)i) : NULL;
}

unsigned xc_reg_width(unsigned i)
{
	const char *n = xc_reg_name(i);
	size_t l;

	if (!n)
		return 0;
	/* the 64-bit ones: *_BASE and *_IRQ_CFG0 (§6.2) */
	l = strlen(n);
	if ((l > 5 && !strcmp(n + l - 5, "_BASE")) ||
	    (l > 9 && !strcmp(n + l - 9, "_IRQ_CFG0")))
		return 8;
	return 4;
}

int xc_reg_index(const char *name)
{
	if (!name)
		return -1;
	if (!strncmp(name, "SMMU_", 5))
		name += 5;
	for (unsigned i = 0; i < R_COUNT; i++)
		if (!strcmp(regs_name((enum reg_id)i), name))
			return (int)i;
	return -1;
}

bool xc_regs_set(struct xc_regs *r, const char *name, uint64_t v)
{
	int i = xc_reg_index(name);

	if (i < 0)
		return false;
	r->present[i] = true;
	r->val[i] = v;
	return true;
}

bool xc_regs_get(const struct xc_regs *r, const char *name, uint64_t *v)
{
	int i = xc_reg_index(name);

	if (i < 0 || !r->present[i])
		return false;
	*v = r->val[i];
	return true;
}

/* "0x1f", "1F": 1..16 hex digits, nothing else. */
static bool parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, n++) {
		int d;

		if (!isxdigit((unsigned char)*s) || n >= 16)
			return false;
		d = isdigit((unsigned char)*s) ? *s - '0'
					       : tolower((unsigned char)*s) - 'a' + 10;
		v = v << 4 | (uint64_t)d;
	}
	if (!n)
		return false;
	*out = v;
	return true;
}

static bool from_json(json_t *root, const char *name, struct xc_regs *r,
		      char *err, size_t errlen)
{
	const char *key;
	json_t *val;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(root)) {
		errf(err, errlen, "%s: the register file must be a JSON object "
			"of register names to hex strings", name);
		return false;
	}
	json_object_foreach(root, key, val) {
		int i = xc_reg_index(key);
		const char *s;
		uint64_t v;

		if (i < 0) {
			errf(err, errlen, "%s: \"%.64s\": unknown register",
			     name, key);
			return false;
		}
		if (!json_is_string(val)) {
			errf(err, errlen, "%s: \"%s\": the value must be a hex "
			     "string such as \"0x1\"", name, key);
			return false;
		}
		s = json_string_value(val);
		if (strlen(s) != json_string_length(val) || !parse_hex(s, &v)) {
			errf(err, errlen, "%s: \"%s\": \"%.64s\" is not a hex "
			     "number", name, key, s);
			return false;
		}
		if (xc_reg_width((unsigned)i) == 4 && v > UINT32_MAX) {
			errf(err, errlen, "%s: \"%s\": 0x%llx does not fit a "
			     "32-bit register", name, key,
			     (unsigned long long)v);
			return false;
		}
		r->present[i] = true;
		r->val[i] = v;
	}
	return true;
}

static void json_errf(const json_error_t *je, const char *name, char *err,
		      size_t errlen)
{
	if (je->line > 0)
		errf(err, errlen, "%s:%d:%d: %s", name, je->line,
		     je->column > 0 ? je->column : 1, je->text);
	else
		errf(err, errlen, "%s: %s", name, je->text);
}

bool xc_regs_parse(const char *text, size_t len, const char *name,
		   struct xc_regs *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	bool ok;

	if (!root) {
		json_errf(&je, name, err, errlen);
		return false;
	}
	ok = from_json(root, name, r, err, errlen);
	json_decref(root);
	return ok;
}

bool xc_regs_load(const char *path, struct xc_regs *r, char *err,
		  size_t errlen)
{
	FILE *f = fopen(path, "rb");
	json_error_t je;
	json_t *root;
	bool ok;

	if (!f) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	fclose(f);
	if (!root) {
		json_errf(&je, path, err, errlen);
		return false;
	}
	ok = from_json(root, path, r, err, errlen);
	json_decref(root);
	return ok;
}

bool xc_regs_save(const char *path, const struct xc_regs *r, char *err,
		  size_t errlen)
{
	json_t *root = json_object();
	bool ok = root != NULL;

	for (unsigned i = 0; ok && i < R_COUNT; i++) {
		char buf[24];

		if (!r->present[i])
			continue;
		if (xc_reg_width(i) == 8)
			snprintf(buf, sizeof(buf), "0x%016llx",
				 (unsigned long long)r->val[i]);
		else
			snprintf(buf, sizeof(buf), "0x%08llx",
				 (unsigned long long)r->val[i]);
		ok = json_object_set_new(root, xc_reg_name(i),
					 json_string(buf)) == 0;
	}
	if (ok && json_dump_file(root, path, JSON_INDENT(2) |
					     JSON_PRESERVE_ORDER) != 0) {
		errf(err, errlen, "%s: cannot write the register file", path);
		json_decref(root);
		return false;
	}
	json_decref(root);
	if (!ok)
		errf(err, errlen, "%s: out of memory", path);
	return ok;
}

void xc_regs_from_smmu(struct smmu *smmu, struct xc_regs *r)
{
	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < R_COUNT; i++) {
		uint64_t v;

		if (smmu_reg_read(smmu, regs_offset((enum reg_id)i),
				  xc_reg_width(i), &v)) {
			r->present[i] = true;
			r->val[i] = v;
		}
	}
}
