/* SPDX-License-Identifier: MIT */
/*
 * progpath.h - where another program of the project is, for the programs
 * that run one (amber-run and amber-oci run amberfs, amber-run runs
 * amber-image).
 *
 * The first that applies:
 *   1. $ENV, when set and not empty (tests, unusual installs);
 *   2. build_path, the program built in the same build tree, when the
 *      caller itself runs from the build tree (so a build never picks up an
 *      older installed copy);
 *   3. the program next to the caller's own executable (an engine may run
 *      us with an empty environment and a short PATH, and a bundle installs
 *      its programs side by side);
 *   4. the install directory (meson's bindir);
 *   5. the bare name, for execvp()'s PATH search.
 * 2 to 4 must be executable (access X_OK) to be taken.  The result stays
 * valid for the life of the process; do not free it.  Not thread-safe;
 * nothing here logs.
 */
#pragma once

const char *progpath_find(const char *name, const char *env, const char *build_path);
