using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

/// <summary>A get-or-create factory for one key: a batch of one.</summary>
internal sealed class SingleFactoryJob<TState, T>(
    TState state, Func<TState, CacheFactoryContext, CancellationToken, ValueTask<T>> factory, EntryPolicy policy, CodecInfo codec)
    : FactoryJob<T>(policy, codec)
{
    public override bool IsBatch => false;

    public override CacheFactoryContext CreateContext(IReadOnlyList<FactoryMember<T>> members)
    {
        var previous = members[0].Previous;
        var hasPrevious = previous.State != ReadState.Miss;
        return Policy.CreateContext(members[0].Key.Key, hasPrevious, hasPrevious ? previous.Value : null);
    }

    // Pooled: the run awaits it once, and a factory that awaits I/O then allocates no state machine for this frame.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<Produced<T>> ProduceAsync(IReadOnlyList<FactoryMember<T>> members, CacheFactoryContext context, CancellationToken cancellationToken) =>
        new(await factory(state, context, cancellationToken).ConfigureAwait(false));
}
