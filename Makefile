# assoc: market-basket analysis and recommendation inside PostgreSQL (PGXS build)

EXTENSION = assoc
EXTVERSION = 0.2.0

MODULE_big = assoc
# Every C file in src/ is part of the module; each holds one concern (see README.md, "Layout").
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

# Extension scripts are assembled from one SQL file per area, per release:
# sql/install/<version>/NN_area.sql.  The first release is an install script,
# every later release an upgrade script; CREATE EXTENSION runs the chain.
DATA_built = assoc--0.1.0.sql assoc--0.1.0--0.2.0.sql

# pg_regress tests: sql/<name>.sql compared with expected/<name>.out.
# "upgrade" installs 0.1.0 and updates, so every later test runs on an upgraded schema.
REGRESS = upgrade
REGRESS += mining mining_oracle mining_groceries mining_parallel mining_errors
REGRESS += features features_oracle features_retail features_parallel features_sklearn features_errors
REGRESS += logistic logistic_parallel metrics registry models_fuzz
REGRESS += recommend_rules recommend_als recommend_parallel recommend_errors
REGRESS += kmeans kmeans_sklearn kmeans_parallel kmeans_errors
REGRESS += convnet convnet_gradcheck convnet_learn convnet_parallel convnet_errors
REGRESS += integration_retail
REGRESS += ops_retrain ops_privileges ops_bad_input
REGRESS_OPTS = --inputdir=. --outputdir=. --load-extension=plpgsql --encoding=UTF8 --no-locale
# isolation tests: specs/<name>.spec compared with expected/<name>.out (several sessions)
ISOLATION = registry_cache
ISOLATION += serve_cache
ISOLATION += ops_retrain_race
ISOLATION_OPTS = --inputdir=. --load-extension=plpgsql

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/include
# CI builds with -Werror: make PG_CFLAGS=-Werror

# OpenBLAS: link Debian's single-threaded build by its path when it is there, so that a
# backend never starts BLAS threads; otherwise the default one (assoc.c sets one thread).
MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null)
OPENBLAS_SERIAL_DIR ?= /usr/lib/$(MULTIARCH)/openblas-serial
ifneq ($(wildcard $(OPENBLAS_SERIAL_DIR)/libopenblas.so.0),)
SHLIB_LINK += -L$(OPENBLAS_SERIAL_DIR) -l:libopenblas.so.0 -Wl,-rpath,$(OPENBLAS_SERIAL_DIR)
else
SHLIB_LINK += -lopenblas
endif

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: rebuild everything when a header changes
# (a stale object with an old struct layout corrupts memory).
$(OBJS) $(OBJS:.o=.bc): $(wildcard include/*.h)

# The numerical kernels' loops over features are vectorised, as PostgreSQL
# does for its page checksums (-ftree-vectorize is not in -O2's default).
src/logistic.o: CFLAGS += $(CFLAGS_VECTORIZE)

assoc--0.1.0.sql: $(sort $(wildcard sql/install/0.1.0/*.sql))
	cat $^ > $@

assoc--0.1.0--0.2.0.sql: $(sort $(wildcard sql/install/0.2.0/*.sql))
	cat $^ > $@

# Debug build: assertions on, no optimisation.  make clean && make debug
.PHONY: debug
debug:
	$(MAKE) PG_CFLAGS="$(PG_CFLAGS) -O0 -g -DUSE_ASSERT_CHECKING"

# Tests that need a running server: pg_regress then pgTAP (inside pg_virtualenv or any PG* env).
.PHONY: prove
prove:
	pg_prove --ext .sql test/*.sql

# The regression suite on a throwaway server that runs under valgrind, with the
# suppressions of test/valgrind/assoc.supp (slow, not in CI; REGRESS= and
# ISOLATION= narrow it).  Installs Debian's valgrind package when missing.
.PHONY: valgrind
valgrind:
	PG_CONFIG=$(PG_CONFIG) test/valgrind/run.sh
