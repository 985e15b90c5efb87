# Script mode: writes OUT, a C++ file defining ${NAMESPACE}::Migrations() from FILES.
set(body "")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME_WE)
  string(REGEX MATCH "^[0-9]+" version ${name})
  if(version STREQUAL "")
    message(FATAL_ERROR "migration ${f} does not start with its number")
  endif()
  math(EXPR version "${version} + 0")
  file(READ ${f} sql)
  string(APPEND body "      {${version}, \"${name}\", R\"peixun_sql(${sql})peixun_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from the service's migrations/ folder. Do not edit.
#include \"common/db/migrations.h\"

namespace ${NAMESPACE} {
const std::vector<peixun::db::Migration>& Migrations() {
  static const std::vector<peixun::db::Migration> kMigrations = {
${body}  };
  return kMigrations;
}
}  // namespace ${NAMESPACE}
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
