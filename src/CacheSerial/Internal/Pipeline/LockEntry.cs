namespace CacheSerial.Internal;

/// <summary>
/// How a run's first try at the store's distributed lock for a key went: with a value (no factory run for it), to run the
/// factory (with the lock, or without it when the lock is unavailable), or held by another process (wait for it).
/// </summary>
internal readonly struct LockEntry<T>
{
    private LockEntry(bool completed, T value, string? token, bool held = false)
    {
        Completed = completed;
        Value = value;
        Token = token;
        Held = held;
    }

    /// <summary>The flight ends with <see cref="Value"/> and runs no factory.</summary>
    public bool Completed { get; }

    public T Value { get; }

    /// <summary>The lock this process holds while it runs the factory, released after the write; null when it runs without it.</summary>
    public string? Token { get; }

    /// <summary>Another process holds the lock: wait for its value or for the lock (<c>WaitForLockAsync</c>).</summary>
    public bool Held { get; }

    public static LockEntry<T> HeldElsewhere => new(completed: false, default!, token: null, held: true);

    public static LockEntry<T> Run(string? token) => new(completed: false, default!, token);

    public static LockEntry<T> Complete(T value) => new(completed: true, value, token: null);
}
