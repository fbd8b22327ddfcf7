namespace CacheSerial.Internal;

/// <summary>What a batch factory run needs besides its keys: the caller's state and factory, the call's policy and codec.</summary>
internal sealed class BatchJob<TState, T>(TState state, Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> factory, EntryPolicy policy, CodecInfo codec)
{
    public TState State { get; } = state;

    public Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> Factory { get; } = factory;

    public EntryPolicy Policy { get; } = policy;

    public CodecInfo Codec { get; } = codec;
}
