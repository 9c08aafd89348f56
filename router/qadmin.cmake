# router/qadmin + router/auth: /query for the statements that manage the
# catalogue, and the users of the HTTP API (st_qadmin, docs/influxql.md).
# Passwords are bcrypt hashes made by libxcrypt (-lcrypt, libcrypt-dev).
add_library(st_qadmin STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/auth.c
  ${CMAKE_CURRENT_SOURCE_DIR}/auth_hash.c
  ${CMAKE_CURRENT_SOURCE_DIR}/auth_sha256.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qadmin.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qadmin_exec.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qadmin_select.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qadmin_show.c
  ${CMAKE_CURRENT_SOURCE_DIR}/qreg.c
)
target_include_directories(st_qadmin PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(st_qadmin PUBLIC st_query st_write st_qout st_qjson st_influxql st_mcli st_common crypt PkgConfig::JANSSON Threads::Threads)
