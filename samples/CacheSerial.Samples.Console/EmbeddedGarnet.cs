using System.Net;
using System.Net.Sockets;
using Garnet;

namespace CacheSerial.Samples.ConsoleApp;

/// <summary>
/// An in-process Garnet server (Redis protocol) on a free loopback port: the sample's default store, so it runs on a
/// machine with no Redis installed while still going through the real RedisCache / StackExchange.Redis client.
/// </summary>
internal sealed class EmbeddedGarnet : IDisposable
{
    private readonly GarnetServer _server;

    private EmbeddedGarnet(GarnetServer server, int port)
    {
        _server = server;
        Port = port;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static EmbeddedGarnet Start()
    {
        // The port is free when asked for but could be taken before Garnet binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            GarnetServer? server = null;

            // Garnet writes a coloured banner straight to the console while it starts; keep it out of the sample's
            // output, and show it only if the start fails.
            var console = Console.Out;
            var banner = new StringWriter();
            Console.SetOut(banner);
            try
            {
                server = new GarnetServer(["--port", port.ToString(), "--bind", "127.0.0.1"]);
                server.Start();
                return new EmbeddedGarnet(server, port);
            }
            catch (Exception) when (attempt < 3)
            {
                server?.Dispose();
            }
            catch (Exception)
            {
                server?.Dispose();
                console.Write(banner.ToString());
                throw;
            }
            finally
            {
                Console.SetOut(console);
            }
        }
    }

    public void Dispose() => _server.Dispose();

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
