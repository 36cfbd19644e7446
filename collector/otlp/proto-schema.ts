import { create, createFileRegistry, type DescMessage } from '@bufbuild/protobuf'
import {
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from '@bufbuild/protobuf/wkt'

/**
 * The messages of opentelemetry-proto v1 (`collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`,
 * `common/v1/common.proto`, `resource/v1/resource.proto`) and `google.rpc.Status` that a trace receiver reads or
 * writes, transcribed here because no npm package of the 2.x/0.2xx line ships them (`@opentelemetry/otlp-transformer`
 * only serializes). The wire format depends on field numbers and types only, so one file and package suffice;
 * enums are read as int32, which is wire-compatible. @bufbuild/protobuf decodes from these descriptors without
 * generated code or `eval`, so it runs on every runtime.
 */
type Field = [name: string, number: number, type: Type | string, repeated?: 'repeated', oneof?: number]

const message = (name: string, fields: Field[], oneofs: string[] = []) => ({
  name,
  oneofDecl: oneofs.map((oneof) => ({ name: oneof })),
  field: fields.map(([fieldName, number, type, repeated, oneofIndex]) => ({
    name: fieldName,
    // protoc fills json_name; the JSON mapping reads it.
    jsonName: fieldName.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase()),
    number,
    label: repeated ? Label.REPEATED : Label.OPTIONAL,
    ...(typeof type === 'string' ? { type: Type.MESSAGE, typeName: `.otlp.${type}` } : { type }),
    ...(oneofIndex === undefined ? {} : { oneofIndex }),
  })),
})

const file = create(FileDescriptorProtoSchema, {
  name: 'otlp.proto',
  package: 'otlp',
  syntax: 'proto3',
  messageType: [
    message('ExportTraceServiceRequest', [['resource_spans', 1, 'ResourceSpans', 'repeated']]),
    message('ExportTraceServiceResponse', [['partial_success', 1, 'ExportTracePartialSuccess']]),
    message('ExportTracePartialSuccess', [
      ['rejected_spans', 1, Type.INT64],
      ['error_message', 2, Type.STRING],
    ]),
    message('Status', [
      ['code', 1, Type.INT32],
      ['message', 2, Type.STRING],
    ]),
    message('ResourceSpans', [
      ['resource', 1, 'Resource'],
      ['scope_spans', 2, 'ScopeSpans', 'repeated'],
      ['schema_url', 3, Type.STRING],
    ]),
    message('Resource', [
      ['attributes', 1, 'KeyValue', 'repeated'],
      ['dropped_attributes_count', 2, Type.UINT32],
    ]),
    message('ScopeSpans', [
      ['scope', 1, 'InstrumentationScope'],
      ['spans', 2, 'Span', 'repeated'],
      ['schema_url', 3, Type.STRING],
    ]),
    message('InstrumentationScope', [
      ['name', 1, Type.STRING],
      ['version', 2, Type.STRING],
      ['attributes', 3, 'KeyValue', 'repeated'],
      ['dropped_attributes_count', 4, Type.UINT32],
    ]),
    message('Span', [
      ['trace_id', 1, Type.BYTES],
      ['span_id', 2, Type.BYTES],
      ['trace_state', 3, Type.STRING],
      ['parent_span_id', 4, Type.BYTES],
      ['flags', 16, Type.FIXED32],
      ['name', 5, Type.STRING],
      ['kind', 6, Type.INT32],
      ['start_time_unix_nano', 7, Type.FIXED64],
      ['end_time_unix_nano', 8, Type.FIXED64],
      ['attributes', 9, 'KeyValue', 'repeated'],
      ['dropped_attributes_count', 10, Type.UINT32],
      ['events', 11, 'Event', 'repeated'],
      ['dropped_events_count', 12, Type.UINT32],
      ['links', 13, 'Link', 'repeated'],
      ['dropped_links_count', 14, Type.UINT32],
      ['status', 15, 'SpanStatus'],
    ]),
    message('Event', [
      ['time_unix_nano', 1, Type.FIXED64],
      ['name', 2, Type.STRING],
      ['attributes', 3, 'KeyValue', 'repeated'],
      ['dropped_attributes_count', 4, Type.UINT32],
    ]),
    message('Link', [
      ['trace_id', 1, Type.BYTES],
      ['span_id', 2, Type.BYTES],
      ['trace_state', 3, Type.STRING],
      ['attributes', 4, 'KeyValue', 'repeated'],
      ['dropped_attributes_count', 5, Type.UINT32],
      ['flags', 6, Type.FIXED32],
    ]),
    message('SpanStatus', [
      ['message', 2, Type.STRING],
      ['code', 3, Type.INT32],
    ]),
    message('KeyValue', [
      ['key', 1, Type.STRING],
      ['value', 2, 'AnyValue'],
    ]),
    message(
      'AnyValue',
      [
        ['string_value', 1, Type.STRING, undefined, 0],
        ['bool_value', 2, Type.BOOL, undefined, 0],
        ['int_value', 3, Type.INT64, undefined, 0],
        ['double_value', 4, Type.DOUBLE, undefined, 0],
        ['array_value', 5, 'ArrayValue', undefined, 0],
        ['kvlist_value', 6, 'KeyValueList', undefined, 0],
        ['bytes_value', 7, Type.BYTES, undefined, 0],
      ],
      ['value'],
    ),
    message('ArrayValue', [['values', 1, 'AnyValue', 'repeated']]),
    message('KeyValueList', [['values', 1, 'KeyValue', 'repeated']]),
  ],
})

const registry = createFileRegistry(file, () => undefined)

function messageSchema(name: string): DescMessage {
  const schema = registry.getMessage(`otlp.${name}`)
  if (!schema) throw new Error(`otlp.${name} is missing from the OTLP descriptor`)
  return schema
}

export const ExportTraceServiceRequest = messageSchema('ExportTraceServiceRequest')
export const ExportTraceServiceResponse = messageSchema('ExportTraceServiceResponse')
export const RpcStatus = messageSchema('Status')
