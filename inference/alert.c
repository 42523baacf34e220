/* SPDX-License-Identifier: BSD-3-Clause */
#include "alert.h"

const char *const mw_alert_kind_names[MW_ALERT_KIND_MAX] = {
#define X(k) #k,
	MW_ALERT_KINDS(X)
#undef X
};
