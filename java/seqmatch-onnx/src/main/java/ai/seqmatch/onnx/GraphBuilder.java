/*
 * Writes an ONNX graph node by node on our proto subset (proto/onnx/onnx_subset.proto): initializers
 * inline (raw_data) or in one external data file (TensorProto.data_location = EXTERNAL, offsets aligned
 * to 4 KiB) when the weights would pass protobuf's 2 GiB message limit, and float32 or float16 storage
 * of the large matrices (float16 ones are Cast to float32 where used, so compute stays float32).
 */
package ai.seqmatch.onnx;

import ai.seqmatch.onnx.proto.AttributeProto;
import ai.seqmatch.onnx.proto.GraphProto;
import ai.seqmatch.onnx.proto.NodeProto;
import ai.seqmatch.onnx.proto.StringStringEntryProto;
import ai.seqmatch.onnx.proto.TensorProto;
import ai.seqmatch.onnx.proto.TensorShapeProto;
import ai.seqmatch.onnx.proto.TypeProto;
import ai.seqmatch.onnx.proto.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Builds one GraphProto; names are unique because callers derive them from GPT-2 tensor names. */
final class GraphBuilder {
  static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;
  static final int INT64 = TensorProto.DataType.INT64_VALUE;
  static final int BOOL = TensorProto.DataType.BOOL_VALUE;
  private static final int ALIGN = 4096;

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final boolean fp16;
  private final OutputStream external; // null: weights inline
  private final String externalName;
  private long externalOffset;
  private int counter;

  /** {@code external}: where external weights go (named {@code externalName} in the model), or null. */
  GraphBuilder(String name, boolean fp16, OutputStream external, String externalName) {
    graph.setName(name);
    this.fp16 = fp16;
    this.external = external;
    this.externalName = externalName;
  }

  GraphProto build() {
    return graph.build();
  }

  /** A graph input or output; a dim is a Long (fixed) or a String (symbolic, e.g. "batch"). */
  void input(String name, int elemType, Object... dims) {
    graph.addInput(valueInfo(name, elemType, dims));
  }

  void output(String name, int elemType, Object... dims) {
    graph.addOutput(valueInfo(name, elemType, dims));
  }

  /** Adds op(inputs) -> one output, named {@code out} (or a fresh name if null); returns the output. */
  String op(String opType, String out, List<String> inputs, AttributeProto... attributes) {
    String output = out != null ? out : opType.toLowerCase() + "_" + counter++;
    graph.addNode(NodeProto.newBuilder().setOpType(opType).setName("n" + graph.getNodeCount() + "_" + opType)
        .addAllInput(inputs).addOutput(output).addAllAttribute(List.of(attributes)));
    return output;
  }

  /** Adds op(inputs) -> {@code outputs.length} outputs. */
  void opMulti(String opType, List<String> inputs, List<String> outputs, AttributeProto... attributes) {
    graph.addNode(NodeProto.newBuilder().setOpType(opType).setName("n" + graph.getNodeCount() + "_" + opType)
        .addAllInput(inputs).addAllOutput(outputs).addAllAttribute(List.of(attributes)));
  }

  /**
   * A weight as an initializer; returns the name of its float32 value. Large ones ({@code compress}) are
   * stored as float16 in an fp16 export and Cast back once, so every consumer computes in float32.
   */
  String weight(String name, float[] data, boolean compress, long... dims) throws IOException {
    if (!(fp16 && compress)) {
      initializer(name, FLOAT, floatBytes(data), dims);
      return name;
    }
    initializer(name, FLOAT16, halfBytes(data), dims);
    return op("Cast", name + "_f32", List.of(name), attr("to", FLOAT));
  }

  /** A small float32 constant (always inline). */
  String constFloat(String name, float... values) {
    graph.addInitializer(tensor(name, FLOAT, floatBytes(values), new long[] {values.length}));
    return name;
  }

  /** A scalar float32 constant (shape []). */
  String scalarFloat(String name, float value) {
    graph.addInitializer(tensor(name, FLOAT, floatBytes(new float[] {value}), new long[0]));
    return name;
  }

  /** A small int64 constant (always inline). */
  String constLongs(String name, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    graph.addInitializer(tensor(name, INT64, b.array(), new long[] {values.length}));
    return name;
  }

  static AttributeProto attr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static AttributeProto attr(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  static AttributeProto attrInts(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  private void initializer(String name, int type, byte[] bytes, long[] dims) throws IOException {
    if (external == null) {
      graph.addInitializer(tensor(name, type, bytes, dims));
      return;
    }
    long pad = (ALIGN - externalOffset % ALIGN) % ALIGN;
    external.write(new byte[(int) pad]);
    externalOffset += pad;
    external.write(bytes);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", externalName))
        .addExternalData(entry("offset", Long.toString(externalOffset)))
        .addExternalData(entry("length", Long.toString(bytes.length)));
    for (long d : dims) {
      t.addDims(d);
    }
    graph.addInitializer(t);
    externalOffset += bytes.length;
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static TensorProto tensor(String name, int type, byte[] bytes, long[] dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
        .setRawData(ByteString.copyFrom(bytes));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String s) {
        dim.setDimParam(s);
      } else {
        dim.setDimValue(((Number) d).longValue());
      }
      shape.addDim(dim);
    }
    TypeProto type = TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape)).build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }

  private static byte[] floatBytes(float[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    return b.array();
  }

  private static byte[] halfBytes(float[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      b.putShort(Half.fromFloat(f));
    }
    return b.array();
  }
}
