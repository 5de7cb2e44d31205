/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte buffers and string vectors shared by every module. */
#include "homesetupP.h"

#include <stdio.h>

int hs_buf_reserve(hs_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0'; /* a reserved buffer is always a valid string */
	return 0;
}

int hs_buf_append(hs_buf *b, const char *s, size_t len)
{
	int r = hs_buf_reserve(b, len);

	if (r < 0)
		return r;
	if (len)
		memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int hs_buf_puts(hs_buf *b, const char *s)
{
	return hs_buf_append(b, s, strlen(s));
}

int hs_buf_putc(hs_buf *b, char c)
{
	return hs_buf_append(b, &c, 1);
}

int hs_buf_printf(hs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	r = hs_buf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *hs_buf_steal(hs_buf *b)
{
	char *p = b->p;

	if (!p)
		p = strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void hs_buf_free(hs_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *hs_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t hs_strv_length(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int hs_strv_push(char ***v, const char *s, size_t len)
{
	size_t n = hs_strv_length(*v);
	char **nv;
	char *copy = hs_strndup(s, len);

	if (!copy)
		return -ENOMEM;
	nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[n] = copy;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

void hs_strv_free(char **strv)
{
	if (!strv)
		return;
	for (char **p = strv; *p; p++)
		free(*p);
	free(strv);
}

char *hs_escape(const char *s, size_t len, size_t max)
{
	_cleanup_buf_ hs_buf b = {0};
	bool cut = len > max;

	if (cut)
		len = max;
	if (hs_buf_reserve(&b, len) < 0)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;

		if (c < 0x20 || c == 0x7f || c == '\\')
			r = c == '\\' ? hs_buf_puts(&b, "\\\\") : hs_buf_printf(&b, "\\x%02x", c);
		else
			r = hs_buf_putc(&b, (char)c);
		if (r < 0)
			return NULL;
	}
	if (cut && hs_buf_puts(&b, "...") < 0)
		return NULL;
	return hs_buf_steal(&b);
}
