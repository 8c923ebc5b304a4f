/*
 * Process-wide facts about the native runtime (libtorch version, CUDA) and the few global
 * operations libtorch has (seeding). Holds no state of its own: every call asks the native core.
 */
package ai.seqmatch;

import ai.seqmatch.nativ.SeqmatchNative;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Entry point to the native runtime. */
public final class Engine {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Engine() {}

  /**
   * What the native core was built against and can use.
   *
   * @param seqmatchVersion version of libseqmatch
   * @param libtorchVersion libtorch version the core runs on, e.g. "1.13.1"
   * @param cudaAvailable whether a CUDA device is usable
   * @param cudaDevices number of visible CUDA devices
   * @param json the native one-line JSON these fields were parsed from (may hold more fields)
   */
  public record RuntimeInfo(
      String seqmatchVersion, String libtorchVersion, boolean cudaAvailable, int cudaDevices, String json) {}

  /** Reads {@code runtime_info()} from the native core. */
  public static RuntimeInfo runtimeInfo() {
    String json = NativeErrors.call(SeqmatchNative::runtime_info);
    try {
      JsonNode node = JSON.readTree(json);
      return new RuntimeInfo(
          node.path("seqmatch").asText("unknown"),
          node.path("libtorch").asText("unknown"),
          node.path("cuda_available").asBoolean(false),
          node.path("cuda_devices").asInt(0),
          json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new NativeException("runtime info: native core returned malformed JSON (got " + json + ")", e);
    }
  }

  public static boolean cudaAvailable() {
    return NativeErrors.call(SeqmatchNative::cuda_available);
  }

  /** Seeds libtorch's global CPU and CUDA generators. */
  public static void manualSeed(long seed) {
    NativeErrors.run(() -> SeqmatchNative.manual_seed(seed));
  }

  /** Resident set size of this process in bytes (Linux), for leak checks. */
  public static long residentSetBytes() {
    return NativeErrors.callLong(SeqmatchNative::resident_set_bytes);
  }
}
