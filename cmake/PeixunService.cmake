# peixun_service(NAME
#   [DOMAIN src... DOMAIN_PROTOS proto_lib...]
#   SOURCES src... [LIBS lib...] [MIGRATIONS namespace]
#   [MAIN_LIBS lib...])
# One service's three targets, the same way for every service:
#   NAME_domain  the rules (DOMAIN sources): links the messages of DOMAIN_PROTOS and peixun_util
#                only, so a rule that reached for gRPC or MySQL would not link;
#   NAME_lib     stores, handlers and clients (SOURCES), linking NAME_domain, peixun_common and
#                LIBS, with the migrations/ folder embedded under `namespace` (MIGRATIONS);
#   NAME         the server binary from main.cc.
function(peixun_service name)
  cmake_parse_arguments(ARG "" "MIGRATIONS" "DOMAIN;DOMAIN_PROTOS;SOURCES;LIBS;MAIN_LIBS" ${ARGN})
  set(lib_deps peixun_common ${ARG_LIBS})
  if(ARG_DOMAIN)
    add_library(${name}_domain STATIC ${ARG_DOMAIN})
    target_include_directories(${name}_domain PUBLIC ${PROJECT_SOURCE_DIR})
    target_compile_options(${name}_domain PRIVATE ${PEIXUN_WARNINGS})
    set(messages)
    foreach(proto ${ARG_DOMAIN_PROTOS})
      list(APPEND messages ${proto}_messages)
    endforeach()
    target_link_libraries(${name}_domain PUBLIC ${messages} peixun_util)
    list(PREPEND lib_deps ${name}_domain ${ARG_DOMAIN_PROTOS})
  endif()
  add_library(${name}_lib STATIC ${ARG_SOURCES})
  target_include_directories(${name}_lib PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name}_lib PRIVATE ${PEIXUN_WARNINGS})
  target_link_libraries(${name}_lib PUBLIC ${lib_deps})
  if(ARG_MIGRATIONS)
    peixun_migrations(${name}_lib ${CMAKE_CURRENT_SOURCE_DIR}/migrations ${ARG_MIGRATIONS})
  endif()
  add_executable(${name} main.cc)
  target_compile_options(${name} PRIVATE ${PEIXUN_WARNINGS})
  target_link_libraries(${name} PRIVATE ${name}_lib ${ARG_MAIN_LIBS})
endfunction()
