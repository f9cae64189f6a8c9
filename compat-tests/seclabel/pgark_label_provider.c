/*
 * A security label provider for pgark's tests: registers the providers "pgark" and
 * "Pgark Second" (a name that needs quoting), both accepting every label. Loaded
 * with LOAD by the session that sets the labels; pg_dump only reads pg_seclabel,
 * so no other backend needs it. Built by compat-tests/tests/security_labels.rs
 * against the server headers of the PostgreSQL under test.
 */
#include "postgres.h"

#include "commands/seclabel.h"
#include "fmgr.h"

PG_MODULE_MAGIC;

static void
accept_any_label(const ObjectAddress *object, const char *seclabel)
{
	(void) object;
	(void) seclabel;
}

void
_PG_init(void)
{
	register_label_provider("pgark", accept_any_label);
	register_label_provider("Pgark Second", accept_any_label);
}
