using System.Runtime.CompilerServices;
using CacheSerial.Internal;

namespace CacheSerial.TestSupport;

/// <summary>
/// Test access to a cache's layers (through InternalsVisibleTo), so that production types carry no member for tests:
/// the stored key of a caller's key, the distributed tier's store, circuit breaker and deadline.
/// </summary>
public static class CacheInternals
{
    /// <summary>The key the store sees for a caller's key.</summary>
    public static string StoreKeyOf(this ITypedCache cache, string key) => KeysOf(Of(cache)).Build(key).StoreKey;

    internal static CircuitBreaker BreakerOf(ITypedCache cache) => Of(cache).Tier.Breaker;

    /// <summary>The store under the cache.</summary>
    public static ICacheStore StoreOf(ITypedCache cache) => StoreOf(Of(cache).Tier);

    internal static StoreCallDeadline DeadlineOf(ITypedCache cache) => Of(cache).Tier.Deadline;

    /// <summary>The cache's memory tier, or null without one.</summary>
    internal static MemoryTier? MemoryOf(ITypedCache cache) => MemoryOf(PipelineOf(Of(cache)));

    /// <summary>The cache's invalidation hub.</summary>
    internal static InvalidationHub HubOf(ITypedCache cache) => HubOf(PipelineOf(Of(cache)));

    /// <summary>Store calls the deadline watches now.</summary>
    internal static int PendingCount(this StoreCallDeadline deadline)
    {
        lock (GateOf(deadline))
        {
            var count = 0;
            for (var call = HeadOf(deadline); call is not null; call = call.Next)
            {
                count++;
            }

            return count;
        }
    }

    /// <summary>Whether the deadline's timer runs (it stops once no call was pending for a deadline).</summary>
    internal static bool IsTicking(this StoreCallDeadline deadline)
    {
        lock (GateOf(deadline))
        {
            return TickingOf(deadline);
        }
    }

    // Private state read without adding members to production types for tests: the key rules, the store, and the
    // deadline's list of watched calls and timer state (both guarded by its lock).
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_keys")]
    private static extern ref KeyBuilder KeysOf(DefaultTypedCache cache);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_pipeline")]
    private static extern ref CachePipeline PipelineOf(DefaultTypedCache cache);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_memory")]
    private static extern ref MemoryTier? MemoryOf(CachePipeline pipeline);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_hub")]
    private static extern ref InvalidationHub HubOf(CachePipeline pipeline);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_store")]
    private static extern ref ICacheStore StoreOf(DistributedTier tier);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_lock")]
    private static extern ref Lock GateOf(StoreCallDeadline deadline);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_head")]
    private static extern ref StoreCallRace? HeadOf(StoreCallDeadline deadline);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_ticking")]
    private static extern ref bool TickingOf(StoreCallDeadline deadline);

    private static DefaultTypedCache Of(ITypedCache cache) => (DefaultTypedCache)cache;
}
