namespace CacheSerial.Internal;

/// <summary>
/// What one factory run calls, for the keys it owns: a single-key factory (<see cref="SingleFactoryJob{TState, T}"/>,
/// a batch of one) or a batch factory (<see cref="BatchFactoryJob{TState, T}"/>). Everything around the call (re-read,
/// lock, encode, write, completing the flights) is the same run for both (CachePipeline.FactoryRun.cs).
/// </summary>
internal abstract class FactoryJob<T>(EntryPolicy policy, CodecInfo codec)
{
    public EntryPolicy Policy { get; } = policy;

    public CodecInfo Codec { get; } = codec;

    /// <summary>Whether the factory takes many keys (logs then name a count, not a key).</summary>
    public abstract bool IsBatch { get; }

    /// <summary>The factory's context; a single key's names it and carries its stale value.</summary>
    public abstract CacheFactoryContext CreateContext(IReadOnlyList<FactoryMember<T>> members);

    /// <summary>Calls the factory for the members' keys.</summary>
    public abstract ValueTask<Produced<T>> ProduceAsync(IReadOnlyList<FactoryMember<T>> members, CacheFactoryContext context, CancellationToken cancellationToken);
}
