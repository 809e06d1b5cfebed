# aidis_sessions: PostgreSQL extension (PGXS, C++17).
EXTENSION   = aidis_sessions
EXTVERSION  = 0.4.0
MODULE_big  = aidis_sessions

# Pure C++ logic (no postgres.h) and the PostgreSQL-facing layer.
CORE_OBJS = src/core/tx_buffer.o src/core/agent.o src/core/uuid.o src/core/event_data.o \
            src/core/text_signals.o src/core/scoring.o src/core/search_text.o src/core/activity_notices.o
PG_OBJS   = src/pg/module.o src/pg/settings.o src/pg/transaction.o src/pg/backend_cache.o \
            src/pg/uuid_datum.o src/pg/guard.o src/pg/spi.o src/pg/session_cache.o src/pg/tuple.o \
            src/pg/stamping.o src/pg/counters.o src/pg/flush.o src/pg/writable.o src/pg/api.o \
            src/pg/scoring.o src/pg/search.o src/pg/args.o src/pg/host.o src/pg/notices.o
OBJS      = $(CORE_OBJS) $(PG_OBJS)

# The install script is assembled from one file per concept, in order. Earlier
# releases ship as one frozen base script (0.1.0) and one upgrade script per
# step: CREATE EXTENSION ... VERSION of an old release runs the base and the
# chain (test/integration/upgrade.sh checks each path against a fresh install).
SQL_PARTS  = $(sort $(wildcard extension/sql/*.sql))
DATA_built = extension/$(EXTENSION)--$(EXTVERSION).sql
DATA       = $(filter-out $(DATA_built),$(wildcard extension/$(EXTENSION)--*.sql)) \
             $(wildcard extension/$(EXTENSION)--*.control)  # what an earlier release required

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=pg_trgm --load-extension=aidis_sessions

PG_CONFIG ?= pg_config

# Server headers as system headers: -Wextra is for our code, not theirs.
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server)
PG_CXXFLAGS = -std=c++17 -fPIC -Wall -Wextra -Werror -Wno-missing-field-initializers \
              -Wno-register -MMD -MP
SHLIB_LINK  = -lstdc++

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Set after PGXS, which assigns its own default.
CONTRIB_TESTDB = aidis_regress

# Header dependencies (-MMD), so a changed header rebuilds what includes it.
-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

# LLVM JIT bitcode: compile the C++ sources with the same language flags.
BITCODE_CXXFLAGS += -std=c++17 -Wno-register

$(EXTENSION).control: extension/$(EXTENSION).control.in Makefile
	sed 's/@EXTVERSION@/$(EXTVERSION)/' $< > $@

extension/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS)
	cat $^ > $@

all: $(EXTENSION).control
EXTRA_CLEAN += $(EXTENSION).control
