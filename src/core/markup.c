/* Escaping text for XML and HTML: the five markup characters as entities. */
#include "core/markup.h"

void zs_markup_escape(FILE *out, const char *text, int apostrophe) {
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            if (apostrophe)
                fputs("&#39;", out);
            else
                fputc(*p, out);
            break;
        default:
            fputc(*p, out);
        }
    }
}
