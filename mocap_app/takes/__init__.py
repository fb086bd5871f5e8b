from .take import (TakeError, TakeWriter, find_takes, load_take, recover_take,  # noqa: F401
                   save_sequences)
