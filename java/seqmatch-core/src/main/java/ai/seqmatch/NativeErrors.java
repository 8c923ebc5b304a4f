/*
 * The one place where errors thrown by the native core become SeqMatchExceptions.
 * JavaCPP's JNI glue catches std::exception and throws a plain java.lang.RuntimeException carrying
 * what(); the facade (api.h) keeps that to one line and prefixes it by kind, which is what we map on.
 * Tested by NativeErrorsTest.
 */
package ai.seqmatch;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/** Runs native calls and maps their errors; for use by SeqMatch's own packages. */
public final class NativeErrors {
  private NativeErrors() {}

  /** Message prefixes the native facade uses, in the order they are tested. */
  static final String CHECKPOINT_PREFIX = "checkpoint";

  static final String[] INVALID_INPUT_PREFIXES = {
    "invalid", "input", "sampling:", "generate:", "config", "data", "noise", "resume", "override", "out_dir", "gdc:",
    "adapter", "lora:"};

  /** Native sampler errors about the model's logits (sampling.cpp check_logits): not the caller's input. */
  static final java.util.regex.Pattern MODEL_OUTPUT =
      java.util.regex.Pattern.compile("generate: row (\\d+): (the model's logits|no action is allowed)");

  /** Calls {@code call}, mapping a native error to the matching {@link SeqMatchException}. */
  public static <T> T call(Supplier<T> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      throw wrapIfNative(e);
    }
  }

  /** Like {@link #call(Supplier)} for functions returning a primitive long (no boxing). */
  public static long callLong(LongSupplier call) {
    try {
      return call.getAsLong();
    } catch (RuntimeException e) {
      throw wrapIfNative(e);
    }
  }

  /** Runs {@code call}, mapping a native error to the matching {@link SeqMatchException}. */
  public static void run(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      throw wrapIfNative(e);
    }
  }

  /**
   * Wraps a native error, keeping its one-line message and the original as cause. Anything that is not
   * JavaCPP's plain RuntimeException (our own IllegalStateException, a SeqMatchException, ...) passes
   * through unchanged, so nothing is wrapped twice.
   */
  public static RuntimeException wrapIfNative(RuntimeException e) {
    if (e.getClass() != RuntimeException.class) {
      return e;
    }
    return wrap(e);
  }

  /** Maps a native error message to the exception kind it announces. */
  public static SeqMatchException wrap(RuntimeException e) {
    String message = firstLine(e.getMessage());
    String lower = message.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith(CHECKPOINT_PREFIX)) {
      return new CheckpointException(message, e);
    }
    java.util.regex.Matcher row = MODEL_OUTPUT.matcher(message);
    if (row.lookingAt()) {
      return new ModelOutputException(message, Long.parseLong(row.group(1)), e);
    }
    for (String prefix : INVALID_INPUT_PREFIXES) {
      if (lower.startsWith(prefix)) {
        return new InvalidInputException(message, e);
      }
    }
    return new NativeException(message, e);
  }

  /** The facade promises one line; this keeps the promise even if a libtorch backtrace slips through. */
  static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "native error without a message";
    }
    String trimmed = message.strip();
    int newline = trimmed.indexOf('\n');
    return newline < 0 ? trimmed : trimmed.substring(0, newline).strip();
  }
}
