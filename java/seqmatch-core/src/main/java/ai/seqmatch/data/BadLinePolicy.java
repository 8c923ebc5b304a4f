/* What to do with an unusable JSONL line or example. Tested by DataReaderTest and DatasetTest. */
package ai.seqmatch.data;

/** Policy for bad input lines; either way the message has the shape {@code file:line: reason}. */
public enum BadLinePolicy {
  /** Leave the line out, count it and keep its message (see {@link Dataset#skipped()}). */
  SKIP,
  /** Throw {@link ai.seqmatch.InvalidInputException} at the first bad line. */
  FAIL
}
