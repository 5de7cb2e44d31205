/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An ordered map of variables (make.conf, make.defaults, md5-cache entries …) that remembers the file and line
 * that set each value. Entries are kept in first-assignment order; a small open-addressing hash index makes
 * lookups O(1) so that files with many assignments (or many ${VAR} expansions) stay linear.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <sys/types.h>

typedef struct hs_var {
	char *name;
	char *value;
	const char *file; /* interned in hs_vars.files, may be NULL */
	unsigned line;
	uint32_t hash;
} hs_var;

struct hs_vars {
	hs_var *v;
	size_t n, cap;
	uint32_t *index;  /* 0: empty slot, else entry index + 1 */
	size_t index_cap; /* a power of two, > 2 * n */
	char **files;     /* interned origin file names */
	size_t n_files;
};

static uint32_t hash_name(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int hs_vars_new(hs_vars **out)
{
	hs_vars *v = calloc(1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	*out = v;
	return 0;
}

void hs_vars_free(hs_vars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	for (size_t i = 0; i < v->n_files; i++)
		free(v->files[i]);
	free(v->files);
	free(v->v);
	free(v->index);
	free(v);
}

static int index_rebuild(hs_vars *v, size_t want)
{
	size_t cap = 16;
	uint32_t *idx;

	while (cap <= 2 * want)
		cap *= 2;
	if (want >= UINT32_MAX - 1)
		return -ENOMEM;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		size_t slot = v->v[i].hash & (cap - 1);

		while (idx[slot])
			slot = (slot + 1) & (cap - 1);
		idx[slot] = (uint32_t)(i + 1);
	}
	free(v->index);
	v->index = idx;
	v->index_cap = cap;
	return 0;
}

/* Entry index of @name (hash @h), or -1. */
static ssize_t find(const hs_vars *v, const char *name, uint32_t h)
{
	if (!v->index_cap)
		return -1;
	for (size_t slot = h & (v->index_cap - 1);; slot = (slot + 1) & (v->index_cap - 1)) {
		uint32_t e = v->index[slot];

		if (!e)
			return -1;
		if (v->v[e - 1].hash == h && strcmp(v->v[e - 1].name, name) == 0)
			return (ssize_t)(e - 1);
	}
}

static const char *intern_file(hs_vars *v, const char *file, int *r)
{
	char **nf;

	*r = 0;
	if (!file)
		return NULL;
	for (size_t i = v->n_files; i > 0; i--)
		if (strcmp(v->files[i - 1], file) == 0)
			return v->files[i - 1];
	nf = realloc(v->files, (v->n_files + 1) * sizeof(*nf));
	if (!nf) {
		*r = -ENOMEM;
		return NULL;
	}
	v->files = nf;
	nf[v->n_files] = strdup(file);
	if (!nf[v->n_files]) {
		*r = -ENOMEM;
		return NULL;
	}
	return nf[v->n_files++];
}

const char *hs_vars_get(const hs_vars *v, const char *name)
{
	ssize_t i;

	if (!v || !name)
		return NULL;
	i = find(v, name, hash_name(name));
	return i < 0 ? NULL : v->v[i].value;
}

bool hs_vars_origin(const hs_vars *v, const char *name, const char **file, unsigned *line)
{
	ssize_t i;

	if (!v || !name)
		return false;
	i = find(v, name, hash_name(name));
	if (i < 0)
		return false;
	if (file)
		*file = v->v[i].file;
	if (line)
		*line = v->v[i].line;
	return true;
}

int hs_vars_set(hs_vars *v, const char *name, const char *value, const char *file, unsigned line)
{
	uint32_t h;
	ssize_t i;
	const char *f;
	char *val;
	int r;

	if (!v || !name || !value)
		return -EINVAL;
	h = hash_name(name);
	f = intern_file(v, file, &r);
	if (r < 0)
		return r;
	val = strdup(value);
	if (!val)
		return -ENOMEM;
	i = find(v, name, h);
	if (i >= 0) {
		free(v->v[i].value);
		v->v[i].value = val;
		v->v[i].file = f;
		v->v[i].line = line;
		return 0;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		hs_var *nv = realloc(v->v, cap * sizeof(*nv));

		if (!nv) {
			free(val);
			return -ENOMEM;
		}
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n] = (hs_var){ .name = strdup(name), .value = val, .file = f, .line = line, .hash = h };
	if (!v->v[v->n].name) {
		free(val);
		return -ENOMEM;
	}
	v->n++;
	if (2 * v->n >= v->index_cap) {
		r = index_rebuild(v, v->n);
		if (r < 0) {
			v->n--;
			free(v->v[v->n].name);
			free(val);
			return r;
		}
	} else {
		size_t slot = h & (v->index_cap - 1);

		while (v->index[slot])
			slot = (slot + 1) & (v->index_cap - 1);
		v->index[slot] = (uint32_t)v->n;
	}
	return 0;
}

int hs_vars_unset(hs_vars *v, const char *name)
{
	ssize_t i;

	if (!v || !name)
		return -EINVAL;
	i = find(v, name, hash_name(name));
	if (i < 0)
		return 0;
	free(v->v[i].name);
	free(v->v[i].value);
	memmove(v->v + i, v->v + i + 1, (v->n - (size_t)i - 1) * sizeof(*v->v));
	v->n--;
	/* Removal is rare (make.conf's "__" locals): rebuilding keeps the probing simple and correct. */
	return index_rebuild(v, v->n);
}

size_t hs_vars_count(const hs_vars *v)
{
	return v ? v->n : 0;
}

const char *hs_vars_name(const hs_vars *v, size_t i)
{
	return v && i < v->n ? v->v[i].name : NULL;
}

int hs_vars_dup(hs_vars **out, const hs_vars *v)
{
	_cleanup_(hs_vars_freep) hs_vars *n = NULL;
	int r = hs_vars_new(&n);

	if (r < 0)
		return r;
	for (size_t i = 0; v && i < v->n; i++) {
		r = hs_vars_set(n, v->v[i].name, v->v[i].value, v->v[i].file, v->v[i].line);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(n);
	return 0;
}
