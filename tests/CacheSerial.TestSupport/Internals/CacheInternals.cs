using CacheSerial.Internal;

namespace CacheSerial.TestSupport;

/// <summary>
/// Test access to a cache's layers (through InternalsVisibleTo), so that production types carry no member for tests:
/// the stored key of a caller's key, the distributed tier's store, circuit breaker and deadline.
/// </summary>
public static class CacheInternals
{
    /// <summary>The key the store sees for a caller's key.</summary>
    public static string StoreKeyOf(this ITypedCache cache, string key) => Of(cache).Keys.Build(key).StoreKey;

    internal static CircuitBreaker BreakerOf(ITypedCache cache) => Of(cache).Tier.Breaker;

    /// <summary>The store under the cache.</summary>
    public static ICacheStore StoreOf(ITypedCache cache) => Of(cache).Tier.Store;

    internal static StoreCallDeadline DeadlineOf(ITypedCache cache) => Of(cache).Tier.Deadline;

    /// <summary>Store calls the deadline watches now.</summary>
    internal static int PendingCount(this StoreCallDeadline deadline)
    {
        lock (deadline.Gate)
        {
            var count = 0;
            for (var call = deadline.Head; call is not null; call = call.Next)
            {
                count++;
            }

            return count;
        }
    }

    /// <summary>Whether the deadline's timer runs (it stops once no call was pending for a deadline).</summary>
    internal static bool IsTicking(this StoreCallDeadline deadline)
    {
        lock (deadline.Gate)
        {
            return deadline.Ticking;
        }
    }

    private static DefaultTypedCache Of(ITypedCache cache) => (DefaultTypedCache)cache;
}
