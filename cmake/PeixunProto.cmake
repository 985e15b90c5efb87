# peixun_proto_library(NAME PROTOS a.proto b.proto [DEPS lib...] [GRPC])
# Compiles .proto files under proto/ (or ROOT: the grpc-proto or googleapis dir) into a static
# library of messages, NAME_messages, which links protobuf only (what the domain libraries use),
# and NAME, which adds the gRPC stubs (GRPC) and links gRPC. DEPS are other NAMEs.
function(peixun_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT ARG_ROOT)
    set(ARG_ROOT ${PROJECT_SOURCE_DIR}/proto)
  endif()
  set(out ${PROJECT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${out})
  set(srcs)
  set(grpc_srcs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(dir ${proto} DIRECTORY)
    get_filename_component(stem ${proto} NAME_WE)
    set(base ${out}/${dir}/${stem})
    set(outputs ${base}.pb.cc ${base}.pb.h)
    set(plugin_args)
    if(ARG_GRPC)
      list(APPEND outputs ${base}.grpc.pb.cc ${base}.grpc.pb.h)
      set(plugin_args --grpc_out=${out} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND protobuf::protoc
        --proto_path=${PROJECT_SOURCE_DIR}/proto --proto_path=${GRPC_PROTO_DIR}
        --proto_path=${GOOGLEAPIS_PROTO_DIR}
        --proto_path=${Protobuf_INCLUDE_DIR}
        --cpp_out=${out} ${plugin_args} ${ARG_ROOT}/${proto}
      DEPENDS ${ARG_ROOT}/${proto} protobuf::protoc
      COMMENT "protoc ${proto}"
      VERBATIM)
    list(APPEND srcs ${base}.pb.cc)
    if(ARG_GRPC)
      list(APPEND grpc_srcs ${base}.grpc.pb.cc)
    endif()
  endforeach()
  set(message_deps)
  foreach(dep ${ARG_DEPS})
    list(APPEND message_deps ${dep}_messages)
  endforeach()
  add_library(${name}_messages STATIC ${srcs})
  target_include_directories(${name}_messages PUBLIC ${out})
  target_link_libraries(${name}_messages PUBLIC protobuf::libprotobuf ${message_deps})
  if(ARG_GRPC)
    add_library(${name} STATIC ${grpc_srcs})
    target_link_libraries(${name} PUBLIC ${name}_messages gRPC::grpc++ ${ARG_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${name}_messages gRPC::grpc++ ${ARG_DEPS})
  endif()
endfunction()
