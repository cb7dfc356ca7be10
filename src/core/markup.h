/* Escaping text for XML and HTML (SVG figures, the HTML report), shared by the plot and
 * report modules. Not part of the public API. */
#ifndef ZS_CORE_MARKUP_H
#define ZS_CORE_MARKUP_H

#include <stdio.h>

/* Writes text escaped for XML/HTML text and double-quoted attributes (&, <, >, "); with
 * apostrophe set, ' too (for single-quoted HTML attributes). */
void zs_markup_escape(FILE *out, const char *text, int apostrophe);

#endif
