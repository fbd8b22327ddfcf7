namespace CacheSerial.Internal;

/// <summary>How a flight leader got past the store's distributed lock: with a value (no factory run here), or to run the factory.</summary>
internal readonly struct LockEntry<T>
{
    private LockEntry(bool completed, T value, string? token)
    {
        Completed = completed;
        Value = value;
        Token = token;
    }

    /// <summary>The flight ends with <see cref="Value"/> and runs no factory.</summary>
    public bool Completed { get; }

    public T Value { get; }

    /// <summary>The lock this process holds while it runs the factory, released after the write; null when it runs without it.</summary>
    public string? Token { get; }

    public static LockEntry<T> Run(string? token) => new(completed: false, default!, token);

    public static LockEntry<T> Complete(T value) => new(completed: true, value, token: null);
}
