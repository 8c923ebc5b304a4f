/*
 * Pure-Java reader for the safetensors format (https://huggingface.co/docs/safetensors):
 * [u64 little-endian header length N][N bytes JSON header][data]. Every size and offset is checked
 * against the file before anything is allocated; errors name the file and the tensor.
 * Used by tests (HF fixtures) and the ONNX exporter. Tested by SafeTensorsTest.
 */
package ai.seqmatch.io;

import ai.seqmatch.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The index of one safetensors file; tensors are read on demand, so nothing stays open. */
public final class SafeTensors {
  /** The format's own cap on the header (safetensors MAX_HEADER_SIZE). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafeTensors(Path file, long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    this.file = file;
    this.dataStart = dataStart;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
  }

  /** Reads and validates the header of {@code file}. */
  public static SafeTensors open(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) {
        throw error(file, "file too short for the header length (got " + size + " bytes, expected >= 8)");
      }
      long headerLen = readFully(ch, 0, 8).getLong();
      if (headerLen <= 0 || headerLen > Math.min(MAX_HEADER_BYTES, size - 8)) {
        throw error(file, "bad header length (got " + Long.toUnsignedString(headerLen) + ", expected 1.."
            + Math.min(MAX_HEADER_BYTES, size - 8) + "). Hint: the file is truncated or not safetensors");
      }
      ByteBuffer header = readFully(ch, 8, (int) headerLen);
      JsonNode root;
      try {
        root = JSON.readTree(header.array());
      } catch (IOException e) {
        throw new CheckpointException("safetensors " + file + ": header is not valid JSON", e);
      }
      if (root == null || !root.isObject()) {
        throw error(file, "header is not a JSON object");
      }
      long dataStart = 8 + headerLen;
      return parseHeader(file, root, dataStart, size - dataStart);
    }
  }

  private static SafeTensors parseHeader(Path file, JsonNode root, long dataStart, long dataSize) {
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      if (e.getKey().equals("__metadata__")) {
        e.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      String name = e.getKey();
      for (int i = 0; i < name.length(); i++) { // names are quoted in one-line errors: no control characters
        if (Character.isISOControl(name.charAt(i))) {
          throw error(file, "a tensor name holds control character " + (int) name.charAt(i) + " at position " + i);
        }
      }
      tensors.put(name, parseEntry(file, name, e.getValue(), dataSize));
    }
    return new SafeTensors(file, dataStart, tensors, metadata);
  }

  private static TensorInfo parseEntry(Path file, String name, JsonNode node, long dataSize) {
    DType dtype = DType.parse(node.path("dtype").asText(""));
    if (dtype == null) {
      throw error(file, "tensor '" + name + "': unknown dtype (got '" + node.path("dtype").asText() + "')");
    }
    JsonNode shapeNode = node.path("shape");
    JsonNode offsets = node.path("data_offsets");
    if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
      throw error(file, "tensor '" + name + "': needs a shape array and data_offsets [begin, end]");
    }
    long[] shape = new long[shapeNode.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong(-1);
      if (!shapeNode.get(i).canConvertToLong() || shape[i] < 0) {
        throw error(file, "tensor '" + name + "': bad dimension " + i + " (got " + shapeNode.get(i) + ")");
      }
      numel = multiply(file, name, numel, shape[i]);
    }
    long begin = offsets.get(0).asLong(-1);
    long end = offsets.get(1).asLong(-1);
    if (begin < 0 || end < begin || end > dataSize) {
      throw error(file, "tensor '" + name + "': data_offsets out of bounds (got [" + begin + ", " + end
          + "], expected within [0, " + dataSize + "]). Hint: the file is truncated");
    }
    long expected = multiply(file, name, numel, dtype.bytes);
    if (end - begin != expected) {
      throw error(file, "tensor '" + name + "': byte size does not match shape (got " + (end - begin)
          + ", expected " + expected + ")");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  public Path file() {
    return file;
  }

  /** Tensor names in header order. */
  public Set<String> names() {
    return tensors.keySet();
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** The header entry of {@code name}; throws CheckpointException if absent. */
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw error(file, "no tensor '" + name + "' (has " + tensors.keySet() + ")");
    }
    return info;
  }

  /** A floating-point tensor (F32, F16 or BF16) as float32, row-major. */
  public float[] floats(String name) throws IOException {
    TensorInfo info = info(name);
    ByteBuffer data = read(info);
    float[] out = new float[(int) info.numel()];
    switch (info.dtype()) {
      case F32 -> data.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = HalfFloats.f16ToFloat(data.getShort());
        }
      }
      case BF16 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = HalfFloats.bf16ToFloat(data.getShort());
        }
      }
      default -> throw error(file, "tensor '" + name + "': expected F32, F16 or BF16 (got " + info.dtype() + ")");
    }
    return out;
  }

  /** An integer tensor (I64 or I32) as longs, row-major. */
  public long[] longs(String name) throws IOException {
    TensorInfo info = info(name);
    ByteBuffer data = read(info);
    long[] out = new long[(int) info.numel()];
    switch (info.dtype()) {
      case I64 -> data.asLongBuffer().get(out);
      case I32 -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = data.getInt();
        }
      }
      default -> throw error(file, "tensor '" + name + "': expected I64 or I32 (got " + info.dtype() + ")");
    }
    return out;
  }

  private ByteBuffer read(TensorInfo info) throws IOException {
    long bytes = info.end() - info.begin();
    if (bytes > Integer.MAX_VALUE - 8) {
      throw error(file, "tensor '" + info.name() + "' too large for a Java array (got " + bytes + " bytes)");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (dataStart + info.end() > ch.size()) {
        throw error(file, "tensor '" + info.name() + "': file shrank since its header was read");
      }
      return readFully(ch, dataStart + info.begin(), (int) bytes);
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buf.hasRemaining()) {
      if (ch.read(buf, position + buf.position()) < 0) {
        throw new IOException("unexpected end of file at byte " + (position + buf.position()));
      }
    }
    return buf.flip();
  }

  private static long multiply(Path file, String name, long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw error(file, "tensor '" + name + "': size overflows 64 bits");
    }
  }

  private static CheckpointException error(Path file, String why) {
    return new CheckpointException("safetensors " + file + ": " + why);
  }
}
