from conclave import Bot

bot = Bot(state_path="echo-bot.cursor")  # CONCLAVE_URL and CONCLAVE_API_KEY from the environment

@bot.on_mention
def echo(mention):
    return f"echo: {mention.clean_text}"  # posted as a reply in the mention's thread

bot.run()
