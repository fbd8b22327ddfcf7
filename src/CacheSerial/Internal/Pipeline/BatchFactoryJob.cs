namespace CacheSerial.Internal;

/// <summary>A batch factory (<c>GetOrCreateManyAsync</c>), called once with the missing keys a run owns.</summary>
internal sealed class BatchFactoryJob<TState, T>(
    string cacheName,
    TState state,
    Func<TState, IReadOnlyList<string>, CacheFactoryContext, CancellationToken, ValueTask<IReadOnlyDictionary<string, T>>> factory,
    EntryPolicy policy,
    CodecInfo codec)
    : FactoryJob<T>(policy, codec)
{
    public override bool IsBatch => true;

    public override CacheFactoryContext CreateContext(IReadOnlyList<FactoryMember<T>> members) =>
        Policy.CreateContext(string.Empty, hasStaleValue: false, staleValue: null);

    public override async ValueTask<Produced<T>> ProduceAsync(IReadOnlyList<FactoryMember<T>> members, CacheFactoryContext context, CancellationToken cancellationToken)
    {
        var keys = new string[members.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = members[i].Key.Key;
        }

        return new(await factory(state, keys, context, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Cache '{cacheName}': the batch factory returned null instead of a dictionary."));
    }
}
