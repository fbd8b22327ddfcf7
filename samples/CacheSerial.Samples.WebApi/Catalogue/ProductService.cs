namespace CacheSerial.Samples.WebApi.Catalogue;

/// <summary>Reads the catalogue through the cache: one <see cref="ITypedCache.GetOrCreateAsync{TState, T}"/> call each.</summary>
public sealed class ProductService(ITypedCache cache, IProductRepository repository)
{
    /// <summary>How long "there is no such product" is remembered, shorter than the default for found products.</summary>
    public static readonly TimeSpan NotFoundExpiration = TimeSpan.FromSeconds(30);

    /// <summary>One product, or <see langword="null"/> (cached too, briefly) when there is none.</summary>
    public ValueTask<Product?> GetAsync(int id, CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync(ProductKey(id), (repository, id),
            static async (s, ctx, ct) =>
            {
                var product = await s.repository.FindAsync(s.id, ct);
                if (product is null)
                {
                    ctx.Expiration = NotFoundExpiration;
                }

                return product;
            },
            cancellationToken: cancellationToken);

    /// <summary>The whole catalogue.</summary>
    public ValueTask<IReadOnlyList<Product>> ListAsync(CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync("products", repository,
            static (repo, ctx, ct) => repo.ListAsync(ct), cancellationToken: cancellationToken);

    /// <summary>Drops the cached product, so the next read loads it again.</summary>
    public ValueTask InvalidateAsync(int id, CancellationToken cancellationToken) =>
        cache.RemoveAsync(ProductKey(id), cancellationToken);

    private static string ProductKey(int id) => $"product:{id}";
}
