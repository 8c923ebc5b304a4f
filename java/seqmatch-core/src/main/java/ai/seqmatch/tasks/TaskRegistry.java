/*
 * Tasks by name, each with its default configuration (build a task directly for other settings). The table is
 * immutable: no static mutable state. Tested by TaskRegistryTest.
 */
package ai.seqmatch.tasks;

import ai.seqmatch.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Looks up built-in tasks by name. */
public final class TaskRegistry {
  private static final Map<String, Supplier<Task>> TASKS = tasks();

  private TaskRegistry() {}

  private static Map<String, Supplier<Task>> tasks() {
    Map<String, Supplier<Task>> m = new LinkedHashMap<>();
    m.put(AddOrSubInBase.NAME, () -> AddOrSubInBase.builder().build());
    m.put(DyckLanguage.NAME, () -> DyckLanguage.builder().build());
    return java.util.Collections.unmodifiableMap(m);
  }

  /** Names of the built-in tasks, in a stable order. */
  public static List<String> names() {
    return List.copyOf(TASKS.keySet());
  }

  /**
   * The task called {@code name}, with its default configuration.
   *
   * @throws InvalidInputException for an unknown name, listing the known ones
   */
  public static Task get(String name) {
    Supplier<Task> factory = name == null ? null : TASKS.get(name);
    if (factory == null) {
      throw new InvalidInputException("unknown task (got \"" + name + "\", expected one of "
          + String.join(", ", TASKS.keySet()) + "). Hint: 'seqmatch tasks list' shows them");
    }
    return factory.get();
  }
}
