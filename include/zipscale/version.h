/* zipscale's version, the one source of it: CMakeLists.txt reads the project version from
 * this file, and zs_version() (core.h) returns ZS_VERSION_STRING. */
#ifndef ZIPSCALE_VERSION_H
#define ZIPSCALE_VERSION_H

#define ZS_VERSION_MAJOR 0
#define ZS_VERSION_MINOR 1
#define ZS_VERSION_PATCH 0
#define ZS_VERSION_STRING "0.1.0"

#endif
