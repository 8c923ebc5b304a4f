/*
 * Where a model lives: "cpu", "cuda" or "cuda:<index>", the spellings libtorch accepts.
 * Parsed and checked here so a typo fails in Java with a hint instead of deep in libtorch.
 */
package ai.seqmatch;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A compute device; immutable. */
public record Device(String type, int index) {
  private static final Pattern SPELLING = Pattern.compile("(cpu|cuda)(?::(\\d{1,4}))?");

  public Device {
    if (!type.equals("cpu") && !type.equals("cuda")) {
      throw new InvalidInputException(
          "device: unknown type (got '" + type + "', expected cpu or cuda). Hint: use cpu, cuda or cuda:N");
    }
    if (index < -1 || (type.equals("cpu") && index > 0)) {
      throw new InvalidInputException(
          "device: bad index for " + type + " (got " + index + ", expected -1 or a device number)");
    }
  }

  public static Device cpu() {
    return new Device("cpu", -1);
  }

  /** The current CUDA device. */
  public static Device cuda() {
    return new Device("cuda", -1);
  }

  public static Device cuda(int index) {
    return new Device("cuda", index);
  }

  /** Parses "cpu", "cuda" or "cuda:N". */
  public static Device of(String spelling) {
    Matcher m = SPELLING.matcher(spelling == null ? "" : spelling.strip());
    if (!m.matches()) {
      throw new InvalidInputException(
          "device: cannot parse '" + spelling + "' (expected cpu, cuda or cuda:N). Hint: e.g. --device cuda:0");
    }
    return new Device(m.group(1), m.group(2) == null ? -1 : Integer.parseInt(m.group(2)));
  }

  public boolean isCuda() {
    return type.equals("cuda");
  }

  /** The spelling the native core takes. */
  @Override
  public String toString() {
    return index < 0 ? type : type + ":" + index;
  }
}
