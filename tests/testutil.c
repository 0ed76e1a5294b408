/* SPDX-License-Identifier: MIT */
#include "testutil.h"
