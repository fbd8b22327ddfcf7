namespace CacheSerial.Internal;

/// <summary>
/// A small bounded pool of reusable objects for the hit path: a per-thread spare first, then shared slots. When it is
/// empty callers allocate; when it is full returned objects are dropped, so it never grows.
/// </summary>
internal static class ReusePool<T>
    where T : class
{
    // Enough for the callers of a busy process waiting on the store at once.
    private static readonly T?[] Items = new T?[Math.Max(64, Environment.ProcessorCount * 16)];

    [ThreadStatic]
    private static T? t_spare;

    public static T? TryRent()
    {
        var item = t_spare;
        if (item is not null)
        {
            t_spare = null;
            return item;
        }

        var items = Items;
        for (var i = 0; i < items.Length; i++)
        {
            item = Volatile.Read(ref items[i]);
            if (item is not null && Interlocked.CompareExchange(ref items[i], null, item) == item)
            {
                return item;
            }
        }

        return null;
    }

    public static void Return(T item)
    {
        if (t_spare is null)
        {
            t_spare = item;
            return;
        }

        var items = Items;
        for (var i = 0; i < items.Length; i++)
        {
            if (Volatile.Read(ref items[i]) is null && Interlocked.CompareExchange(ref items[i], item, null) is null)
            {
                return;
            }
        }
    }
}
