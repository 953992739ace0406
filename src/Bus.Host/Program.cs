using Bus.Host;

var builder = WebApplication.CreateBuilder(args);
builder.AddBusHost();

var app = builder.Build();
app.MapBusEndpoints();
app.Run();
