# tests/meta/server: strata-meta end to end, real processes on loopback
# spoken to over the meta RPC (docs/meta-server.md).
st_add_test(test_meta_server SOURCES test_meta_server.c mcluster.c LIBS st_cat st_proto)
add_dependencies(test_meta_server strata-meta)
